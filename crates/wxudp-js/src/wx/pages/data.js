// Part of the prelude (wx/mod.rs assembles it; fuzz/fuzz_targets/set_data.rs evaluates it alone): a page's data and setData, with WeChat's limits.
// A data path may not name what leads out of the data: `__proto__` (the prototype),
// `constructor` and `prototype` (through them, Object.prototype). Such a path is
// ignored with a warning, as WeChat ignores what setData cannot apply; the rest of the
// setData call goes on. Only own properties are walked.
const FORBIDDEN_SEGMENTS = ['__proto__', 'constructor', 'prototype'];
const hasOwn = Object.prototype.hasOwnProperty;
// A setData carries at most 1024 KB, as WeChat's does ("单次设置的数据不能超过1024kB"):
// the JSON size of its values, plus a `null` for each element an index past an array's
// end would add (`'list[100000000]': 1` grows the list by a hundred million). Over it,
// nothing of that call is applied and it throws. [decided: the wording]
const SET_DATA_LIMIT = 1024 * 1024;
// The JSON size of `value`, estimated without building the text: counted until it
// passes `limit` (then a number past it), in steps that stay within the budget, so a
// huge or sparse structure costs no more than `limit` of work.
function jsonSize(value, limit) {
  let size = 0;
  const todo = [value];
  const seen = new Set();
  while (todo.length && size <= limit) {
    const v = todo.pop();
    if (v === null || v === undefined || typeof v === 'function' || typeof v === 'symbol') { size += 4; continue; }
    if (typeof v === 'string') { size += v.length + 2; continue; }
    if (typeof v !== 'object') { size += String(v).length; continue; }
    if (seen.has(v)) continue;
    seen.add(v);
    if (Array.isArray(v)) {
      // Every element takes at least `null,` until proved otherwise.
      size += 2 + v.length;
      if (size > limit) break;
      for (let i = 0; i < v.length; i++) todo.push(v[i]);
    } else {
      const keys = Object.keys(v);
      size += 2;
      for (let i = 0; i < keys.length && size <= limit; i++) {
        size += keys[i].length + 4;
        todo.push(v[keys[i]]);
      }
    }
  }
  return size;
}
function pathKeys(path) {
  const keys = [];
  path.replace(/[^.[\]]+|\[(\d+)\]/g, function (m, index) { keys.push(index !== undefined ? Number(index) : m); });
  return keys;
}
// The elements an index past an array's end would add along `keys`.
function growth(target, keys) {
  let obj = target;
  let added = 0;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i];
    if (typeof k === 'number') {
      const length = Array.isArray(obj) ? obj.length : 0;
      if (k >= length) added += k - length;
    }
    obj = obj !== null && typeof obj === 'object' && hasOwn.call(obj, k) ? obj[k] : undefined;
  }
  return added;
}
function setPath(target, path, value) {
  const keys = pathKeys(path);
  const bad = keys.filter(function (k) { return FORBIDDEN_SEGMENTS.indexOf(k) >= 0; })[0];
  if (bad !== undefined || keys.length === 0) {
    N.print('warn', "setData: ignored the path '" + path + "'" +
      (bad !== undefined ? ": '" + bad + "' cannot be set" : ': it names nothing'));
    return;
  }
  let obj = target;
  for (let i = 0; i < keys.length - 1; i++) {
    const next = hasOwn.call(obj, keys[i]) ? obj[keys[i]] : undefined;
    if (next === null || typeof next !== 'object') {
      obj[keys[i]] = typeof keys[i + 1] === 'number' ? [] : {};
    }
    obj = obj[keys[i]];
  }
  obj[keys[keys.length - 1]] = value;
}
function setData(data, callback) {
  const self = this;
  const paths = Object.keys(data || {});
  let size = 0;
  for (let i = 0; i < paths.length && size <= SET_DATA_LIMIT; i++) {
    size += paths[i].length + jsonSize(data[paths[i]], SET_DATA_LIMIT - size) + 5 * growth(self.data, pathKeys(paths[i]));
  }
  if (size > SET_DATA_LIMIT) {
    throw new Error('setData: the data is ' + (size > 10 * SET_DATA_LIMIT ? 'far ' : '') + 'over 1024 KB (WeChat refuses a setData over 1024 KB, ' +
      'sparse arrays counted as the nulls they would carry): nothing of it was applied');
  }
  if (N.noting) N.note('setData', (self.route ? self.route + ' ' : '') + paths.join(', '));
  paths.forEach(function (path) { setPath(self.data, path, data[path]); });
  if (typeof callback === 'function') setTimeout(function () { callback.call(self); }, 0);
}
