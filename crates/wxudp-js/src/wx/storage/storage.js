// Part of the prelude (wx/mod.rs assembles it): wx storage over N.storage* (wx/storage/mod.rs keeps the values and WeChat's limits).
// Storage (see wx/storage/mod.rs). Values go through storageText, which writes the JSON text
// JSON.stringify would, but refuses what JSON cannot hold instead of changing it
// (functions, symbols, BigInts, undefined, NaN/Infinity, cycles, Maps and other
// objects whose content JSON drops) and does not recurse, so that any depth is safe.
// A sync API throws an Error whose message is its errMsg; an async one calls fail.
const stringify = JSON.stringify;
const parse = JSON.parse;
const objectKeys = Object.keys;
const isArray = Array.isArray;
const isView = ArrayBuffer.isView;
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;
const UNSTORABLE = ['Map', 'Set', 'WeakMap', 'WeakSet', 'WeakRef', 'ArrayBuffer',
  'SharedArrayBuffer', 'RegExp', 'Promise'];
function storageError(api, reason) {
  const e = new Error(api + ':fail ' + reason);
  e.errMsg = e.message;
  return e;
}
function storageText(api, data) {
  const out = [];
  const stack = [];
  const open = new Set();
  // Its length so far, in UTF-16 units: never more than its UTF-8 bytes, so a text
  // already longer than the item limit is refused at once, before a huge (or endless)
  // value is written out in full.
  let size = 0;
  function emit(piece) {
    size += piece.length;
    if (size > N.storageMaxItem) throw storageError(api, N.storageItemTooLong);
    out.push(piece);
  }
  function refuse(path, what) {
    throw storageError(api, 'cannot store ' + path + ': it is ' + what);
  }
  // Writes `value` (the property `key` of the innermost open container), or opens it
  // as a container; false when it is left out (undefined in an object, as in JSON).
  function put(value, key, path, inArray) {
    if (value !== null && (typeof value === 'object' || typeof value === 'bigint') &&
        typeof value.toJSON === 'function') {
      value = value.toJSON(key);
    }
    if (value !== null && typeof value === 'object') {
      const boxed = typeTag(value);
      if (boxed === 'Number' || boxed === 'String' || boxed === 'Boolean') value = value.valueOf();
    }
    switch (typeof value) {
      case 'string': emit(stringify(value)); return true;
      case 'boolean': emit(value ? 'true' : 'false'); return true;
      case 'number':
        if (!isFinite(value)) refuse(path, String(value));
        emit(stringify(value));
        return true;
      case 'undefined':
        if (stack.length > 0 && !inArray) return false;
        return refuse(path, 'undefined');
      case 'function': return refuse(path, 'a function');
      case 'symbol': return refuse(path, 'a Symbol');
      case 'bigint': return refuse(path, 'a BigInt');
    }
    if (value === null) { emit('null'); return true; }
    if (open.has(value)) refuse(path, 'a cycle: it contains itself');
    if (stack.length >= N.storageMaxDepth) refuse('data', 'nested deeper than ' + N.storageMaxDepth + ' levels');
    const tag = typeTag(value);
    if (UNSTORABLE.indexOf(tag) >= 0 || isView(value)) refuse(path, 'a ' + tag + ', whose content JSON cannot hold');
    const arr = isArray(value);
    open.add(value);
    stack.push({ value: value, arr: arr, keys: arr ? null : objectKeys(value), n: arr ? value.length >>> 0 : 0, i: 0, path: path, wrote: false });
    emit(arr ? '[' : '{');
    return true;
  }
  put(data, '', 'data', false);
  while (stack.length > 0) {
    const f = stack[stack.length - 1];
    if (f.i >= (f.arr ? f.n : f.keys.length)) {
      emit(f.arr ? ']' : '}');
      stack.pop();
      open.delete(f.value);
      continue;
    }
    const key = f.arr ? String(f.i) : f.keys[f.i];
    f.i++;
    const mark = out.length;
    const markSize = size;
    if (f.wrote) emit(',');
    if (!f.arr) emit(stringify(key) + ':');
    const path = f.arr ? f.path + '[' + key + ']'
      : f.path + (IDENTIFIER.test(key) ? '.' + key : '[' + stringify(key) + ']');
    if (put(f.value[key], key, path, f.arr)) f.wrote = true;
    else { out.length = mark; size = markSize; }
  }
  return out.join('');
}
function storageKey(api, key) {
  if (typeof key !== 'string') {
    throw storageError(api, 'parameter error: parameter.key should be String instead of ' + typeTag(key) + ';');
  }
  return key;
}
function checked(api, reason) {
  if (reason !== undefined) throw storageError(api, reason);
}
function setStorage(api, key, data) {
  storageKey(api, key);
  checked(api, N.storageSet(key, storageText(api, data)));
}
function getStorage(key) {
  const json = N.storageGet(key);
  return json === undefined ? undefined : parse(json);
}
wx.setStorageSync = function (key, data) { setStorage('setStorageSync', key, data); };
wx.getStorageSync = function (key) {
  const data = getStorage(storageKey('getStorageSync', key));
  return data === undefined ? '' : data;
};
wx.removeStorageSync = function (key) {
  checked('removeStorageSync', N.storageRemove(storageKey('removeStorageSync', key)));
};
wx.clearStorageSync = function () { checked('clearStorageSync', N.storageClear()); };
wx.setStorage = asyncApi('setStorage', function (o) { setStorage('setStorage', o.key, o.data); return {}; });
wx.getStorage = asyncApi('getStorage', function (o) {
  const data = getStorage(storageKey('getStorage', o.key));
  if (data === undefined) throw new Error('data not found');
  return { data: data };
});
wx.removeStorage = asyncApi('removeStorage', function (o) {
  checked('removeStorage', N.storageRemove(storageKey('removeStorage', o.key)));
  return {};
});
wx.clearStorage = asyncApi('clearStorage', function () { checked('clearStorage', N.storageClear()); return {}; });
