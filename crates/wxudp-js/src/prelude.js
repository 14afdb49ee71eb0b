// The JavaScript half of the runtime: the `wx` global, `UDPSocket`, console, timers,
// TextEncoder/TextDecoder and CommonJS `require`, written over the native functions in
// `N` (see natives.rs and udp.rs). Every UDPSocket rule lives in the Rust core; this file
// only gives it WeChat's shape. Evaluated once, it returns the hooks the Rust event loop
// calls.
(function (N, global) {
  'use strict';

  // ---------------------------------------------------------------- console
  function typeTag(v) {
    return Object.prototype.toString.call(v).slice(8, -1);
  }

  function quote(s) {
    return "'" + s.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n').replace(/\r/g, '\\r') + "'";
  }

  function inspect(v, depth, seen) {
    if (v === null) return 'null';
    switch (typeof v) {
      case 'undefined': return 'undefined';
      case 'string': return depth === 0 ? v : quote(v);
      case 'number': return Object.is(v, -0) ? '-0' : String(v);
      case 'bigint': return v + 'n';
      case 'boolean': return String(v);
      case 'symbol': return v.toString();
      case 'function': return '[Function: ' + (v.name || '(anonymous)') + ']';
    }
    if (seen.indexOf(v) >= 0) return '[Circular]';
    if (v instanceof Error) {
      const head = v.name + ': ' + v.message;
      return depth === 0 && v.stack ? head + '\n' + v.stack.replace(/\n$/, '') : '[' + head + ']';
    }
    const tag = typeTag(v);
    if (tag === 'ArrayBuffer') return 'ArrayBuffer { byteLength: ' + v.byteLength + ' }';
    if (tag === 'DataView') return 'DataView { byteOffset: ' + v.byteOffset + ', byteLength: ' + v.byteLength + ' }';
    if (ArrayBuffer.isView(v)) {
      const shown = Array.prototype.slice.call(v, 0, 100).join(', ');
      return tag + '(' + v.length + ') [ ' + shown + (v.length > 100 ? ', ...' : '') + ' ]';
    }
    if (v instanceof Date) return v.toISOString();
    if (v instanceof RegExp) return String(v);
    if (depth > 2) return Array.isArray(v) ? '[Array]' : '[Object]';
    const inner = seen.concat([v]);
    if (Array.isArray(v)) {
      if (v.length === 0) return '[]';
      return '[ ' + v.map(function (x) { return inspect(x, depth + 1, inner); }).join(', ') + ' ]';
    }
    if (v instanceof Map) {
      const parts = [];
      v.forEach(function (val, key) { parts.push(inspect(key, depth + 1, inner) + ' => ' + inspect(val, depth + 1, inner)); });
      return 'Map(' + v.size + ') {' + (parts.length ? ' ' + parts.join(', ') + ' ' : '') + '}';
    }
    if (v instanceof Set) {
      const parts = [];
      v.forEach(function (val) { parts.push(inspect(val, depth + 1, inner)); });
      return 'Set(' + v.size + ') {' + (parts.length ? ' ' + parts.join(', ') + ' ' : '') + '}';
    }
    if (typeof v.then === 'function' && tag === 'Promise') return 'Promise {}';
    const keys = Object.keys(v);
    if (keys.length === 0) return '{}';
    return '{ ' + keys.map(function (k) {
      const name = /^[A-Za-z_$][\w$]*$/.test(k) ? k : JSON.stringify(k);
      return name + ': ' + inspect(v[k], depth + 1, inner);
    }).join(', ') + ' }';
  }

  // A value the console cannot look at (a revoked Proxy, a getter or trap that throws)
  // prints as unreadable instead of throwing out of console.log.
  function show(v, depth) {
    try {
      return inspect(v, depth, []);
    } catch (e) {
      let why = 'it throws';
      try { why = String(e && e.message); } catch (e2) { /* keep the plain reason */ }
      return '<unreadable: ' + why + '>';
    }
  }

  function format(args) {
    let rest = Array.prototype.slice.call(args);
    let head = '';
    if (typeof rest[0] === 'string' && rest.length > 1 && rest[0].indexOf('%') >= 0) {
      const fmt = rest.shift();
      head = fmt.replace(/%([sdifjoOc%])/g, function (m, c) {
        if (c === '%') return '%';
        if (rest.length === 0) return m;
        const a = rest.shift();
        switch (c) {
          case 's': return typeof a === 'string' ? a : show(a, 1);
          case 'd': case 'i': return String(c === 'i' ? parseInt(a) : Number(a));
          case 'f': return String(parseFloat(a));
          case 'j': try { return JSON.stringify(a); } catch (e) { return '[Circular]'; }
          case 'c': return '';
          default: return show(a, 1);
        }
      });
      if (rest.length === 0) return head;
      head += ' ';
    }
    return head + rest.map(function (a) { return show(a, 0); }).join(' ');
  }

  const console = {};
  ['log', 'info', 'warn', 'error', 'debug'].forEach(function (level) {
    console[level] = function () { N.print(level, format(arguments)); };
  });
  console.trace = function () {
    const err = new Error(format(arguments));
    N.print('error', 'Trace: ' + err.message + '\n' + String(err.stack || '').split('\n').slice(1).join('\n'));
  };
  console.assert = function (ok) {
    if (!ok) N.print('error', 'Assertion failed' + (arguments.length > 1 ? ': ' + format(Array.prototype.slice.call(arguments, 1)) : ''));
  };
  const timeLabels = Object.create(null);
  console.time = function (label) { timeLabels[label === undefined ? 'default' : label] = Date.now(); };
  console.timeEnd = function (label) {
    const key = label === undefined ? 'default' : label;
    if (key in timeLabels) {
      N.print('log', key + ': ' + (Date.now() - timeLabels[key]) + 'ms');
      delete timeLabels[key];
    }
  };
  global.console = console;

  // ---------------------------------------------------------------- timers
  function timer(repeat) {
    return function (fn, ms) {
      if (typeof fn !== 'function') {
        throw new TypeError('The "callback" argument must be of type function. Received ' + inspect(fn, 1, []));
      }
      // Coerced as Node does (`after *= 1`: a BigInt throws); the native maps NaN, below 1
      // and above 2^31-1 ms to 1 ms and truncates fractions.
      return N.setTimer(fn, ms * 1, repeat, Array.prototype.slice.call(arguments, 2));
    };
  }
  global.setTimeout = timer(false);
  global.setInterval = timer(true);
  global.clearTimeout = global.clearInterval = function (id) {
    if (typeof id === 'number') N.clearTimer(id);
  };

  // ---------------------------------------------------------------- text
  const UTF8_LABELS = ['utf-8', 'utf8', 'unicode-1-1-utf-8'];
  class TextEncoder {
    get encoding() { return 'utf-8'; }
    encode(input) { return new Uint8Array(N.utf8Encode(input === undefined ? '' : String(input))); }
    encodeInto(input, dest) {
      const bytes = this.encode(input);
      const n = Math.min(bytes.length, dest.length);
      dest.set(bytes.subarray(0, n));
      return { read: String(input).length, written: n };
    }
  }
  class TextDecoder {
    constructor(label, options) {
      const name = String(label === undefined ? 'utf-8' : label).trim().toLowerCase();
      if (UTF8_LABELS.indexOf(name) < 0) {
        throw new RangeError('The "' + label + '" encoding is not supported');
      }
      this.fatal = !!(options && options.fatal);
      this.ignoreBOM = !!(options && options.ignoreBOM);
    }
    get encoding() { return 'utf-8'; }
    decode(input) {
      if (input === undefined) return '';
      return N.utf8Decode(input, this.fatal, this.ignoreBOM);
    }
  }
  global.TextEncoder = TextEncoder;
  global.TextDecoder = TextDecoder;

  // ---------------------------------------------------------------- versions
  const versionAtLeast = N.versionAtLeast;

  // ---------------------------------------------------------------- UDPSocket
  const ID = Symbol('wxudp.socket');
  // The socket id of `self`; a method called on something else (say, detached from its
  // socket) is a programming error, reported the way browsers do.
  function idOf(self) {
    const id = self === null || self === undefined ? undefined : self[ID];
    if (id === undefined) throw new TypeError('Illegal invocation: not a UDPSocket');
    return id;
  }
  class UDPSocket {
    bind(port) { return N.udpBind(idOf(this), port); }
    connect(option) { N.udpConnect(idOf(this), option); }
    setTTL(ttl) { N.udpSetTTL(idOf(this), ttl); }
    close() { N.udpClose(idOf(this)); }
  }
  // send and write are natives that read this[ID] themselves: the hot path has no
  // JavaScript frame of ours. Defined as class methods are: not enumerable.
  N.udpKey(ID);
  ['send', 'write'].forEach(function (m) {
    Object.defineProperty(UDPSocket.prototype, m, {
      value: N['udp_' + m], writable: true, enumerable: false, configurable: true,
    });
  });
  [['Close', 'close'], ['Error', 'error'], ['Listening', 'listening'], ['Message', 'message']].forEach(function (e) {
    UDPSocket.prototype['on' + e[0]] = function (listener) { N.udpOn(idOf(this), e[1], listener); };
    UDPSocket.prototype['off' + e[0]] = function (listener) {
      if (listener === undefined) N.udpOff(idOf(this), e[1]);
      else N.udpOff(idOf(this), e[1], listener);
    };
  });
  // Methods a base library older than their version does not have.
  const METHOD_SINCE = { connect: '2.15.0', write: '2.15.0', setTTL: '2.18.0' };
  Object.keys(METHOD_SINCE).forEach(function (m) {
    if (!versionAtLeast(METHOD_SINCE[m])) delete UDPSocket.prototype[m];
  });

  function createUDPSocket(type) {
    const socket = Object.create(UDPSocket.prototype);
    const useType = versionAtLeast('2.18.0') ? type : undefined;
    Object.defineProperty(socket, ID, { value: N.udpCreate(useType) });
    return socket;
  }

  // ---------------------------------------------------------------- wx
  const wx = {};

  // Runs `fn` the way WeChat's asynchronous APIs do: callbacks when any is given,
  // otherwise a Promise.
  function asyncApi(name, fn) {
    return function (options) {
      const opts = options || {};
      const promise = new Promise(function (resolve, reject) {
        let result;
        try {
          result = fn(opts);
        } catch (e) {
          // Errors that carry their own errMsg (`name:fail reason`) keep it.
          const errMsg = e && typeof e.errMsg === 'string' ? e.errMsg
            : name + ':fail ' + (e && e.message ? e.message : String(e));
          reject({ errMsg: errMsg });
          return;
        }
        resolve(Object.assign({ errMsg: name + ':ok' }, result));
      });
      const hasCallback = ['success', 'fail', 'complete'].some(function (k) { return typeof opts[k] === 'function'; });
      if (!hasCallback) return promise;
      promise.then(function (res) {
        if (typeof opts.success === 'function') opts.success(res);
        if (typeof opts.complete === 'function') opts.complete(res);
      }, function (err) {
        if (typeof opts.fail === 'function') opts.fail(err);
        if (typeof opts.complete === 'function') opts.complete(err);
      }).catch(N.reportError);
    };
  }

  // [name, since]: what wx.canIUse answers true for.
  const CAN_I_USE = [
    ['createUDPSocket', '2.7.0'], ['createUDPSocket.type', '2.18.0'],
    ['UDPSocket', '2.7.0'], ['UDPSocket.bind', '2.7.0'], ['UDPSocket.bind.port', '2.9.0'],
    ['UDPSocket.send', '2.7.0'], ['UDPSocket.send.object.address', '2.7.0'],
    ['UDPSocket.send.object.port', '2.7.0'], ['UDPSocket.send.object.message', '2.7.0'],
    ['UDPSocket.send.object.offset', '2.7.0'], ['UDPSocket.send.object.length', '2.7.0'],
    ['UDPSocket.send.object.setBroadcast', '2.24.0'],
    ['UDPSocket.connect', '2.15.0'], ['UDPSocket.write', '2.15.0'], ['UDPSocket.setTTL', '2.18.0'],
    ['UDPSocket.close', '2.7.0'],
    ['UDPSocket.onClose', '2.7.0'], ['UDPSocket.offClose', '2.7.0'],
    ['UDPSocket.onError', '2.7.0'], ['UDPSocket.offError', '2.7.0'],
    ['UDPSocket.onListening', '2.7.0'], ['UDPSocket.offListening', '2.7.0'],
    ['UDPSocket.onMessage', '2.7.0'], ['UDPSocket.offMessage', '2.7.0'],
    ['UDPSocket.onMessage.callback.localInfo', '2.18.0'],
    ['canIUse', '1.1.1'], ['getLocalIPAddress', '2.20.1'], ['getSystemInfoSync', '1.0.0'],
    ['getSystemInfo', '1.0.0'], ['getNetworkType', '1.0.0'], ['onNetworkStatusChange', '1.1.0'],
    ['offNetworkStatusChange', '2.9.3'],
    ['getStorageSync', '1.0.0'], ['setStorageSync', '1.0.0'], ['removeStorageSync', '1.0.0'],
    ['clearStorageSync', '1.0.0'], ['getStorage', '1.0.0'], ['setStorage', '1.0.0'],
    ['removeStorage', '1.0.0'], ['clearStorage', '1.0.0'],
    ['showToast', '1.0.0'], ['showModal', '1.0.0'], ['showLoading', '1.1.0'], ['hideLoading', '1.1.0'],
    ['hideToast', '1.0.0'],
    ['onAppShow', '2.1.2'], ['onAppHide', '2.1.2'], ['offAppShow', '2.1.2'], ['offAppHide', '2.1.2'],
    ['arrayBufferToBase64', '1.1.0'], ['base64ToArrayBuffer', '1.1.0'],
  ];
  const canIUseTable = Object.create(null);
  CAN_I_USE.forEach(function (e) { canIUseTable[e[0]] = e[1]; });
  wx.canIUse = function (schema) {
    const since = canIUseTable[String(schema).replace(/\.(success|fail|complete)$/, '')];
    return since !== undefined && versionAtLeast(since);
  };

  wx.createUDPSocket = createUDPSocket;

  wx.getLocalIPAddress = asyncApi('getLocalIPAddress', function () {
    const ip = N.localIPAddress();
    if (!ip) throw new Error('no local network address');
    return ip;
  });

  function systemInfo() {
    return {
      SDKVersion: String(N.baseLibrary), version: '8.0.50', platform: 'devtools',
      system: N.system, brand: 'wxudp', model: 'wxudp headless', language: 'zh_CN',
      pixelRatio: 2, screenWidth: 375, screenHeight: 667, windowWidth: 375, windowHeight: 667,
      statusBarHeight: 20, fontSizeSetting: 16, benchmarkLevel: 1,
    };
  }
  wx.getSystemInfoSync = systemInfo;
  wx.getSystemInfo = asyncApi('getSystemInfo', systemInfo);
  wx.getNetworkType = asyncApi('getNetworkType', function () {
    return { networkType: N.networkType(), signalStrength: 0, hasSystemProxy: false };
  });

  function listenerList() {
    const list = [];
    return {
      on: function (fn) { if (typeof fn === 'function') list.push(fn); },
      off: function (fn) {
        for (let i = list.length - 1; i >= 0; i--) if (fn === undefined || list[i] === fn) list.splice(i, 1);
      },
      emit: function (arg) {
        list.slice().forEach(function (fn) {
          try { fn(arg); } catch (e) { N.reportError(e); }
        });
      },
    };
  }
  const appShow = listenerList();
  const appHide = listenerList();
  const networkStatus = listenerList();
  wx.onAppShow = appShow.on;
  wx.offAppShow = appShow.off;
  wx.onAppHide = appHide.on;
  wx.offAppHide = appHide.off;
  wx.onNetworkStatusChange = networkStatus.on;
  wx.offNetworkStatusChange = networkStatus.off;

  // Storage (see storage.rs). Values go through storageText, which writes the JSON text
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

  function ui(name, describe, result) {
    return asyncApi(name, function (o) {
      N.print('ui', '[wx.' + name + '] ' + describe(o));
      return result || {};
    });
  }
  wx.showToast = ui('showToast', function (o) { return String(o.title === undefined ? '' : o.title); });
  wx.hideToast = ui('hideToast', function () { return ''; });
  wx.showLoading = ui('showLoading', function (o) { return String(o.title === undefined ? '' : o.title); });
  wx.hideLoading = ui('hideLoading', function () { return ''; });
  wx.showModal = ui('showModal', function (o) {
    return [o.title, o.content].filter(function (x) { return x !== undefined && x !== ''; }).join(': ');
  }, { confirm: true, cancel: false });

  // Base64 helpers (deprecated by WeChat, still used to move binary payloads around).
  const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  wx.arrayBufferToBase64 = function (buffer) {
    // A copy taken at once (see convert.rs): getters on the view run before it, and the
    // loop below reads only the copy.
    const bytes = new Uint8Array(N.copyBytes(buffer));
    let out = '';
    for (let i = 0; i < bytes.length; i += 3) {
      const n = (bytes[i] << 16) | ((bytes[i + 1] || 0) << 8) | (bytes[i + 2] || 0);
      out += B64[(n >> 18) & 63] + B64[(n >> 12) & 63] +
        (i + 1 < bytes.length ? B64[(n >> 6) & 63] : '=') +
        (i + 2 < bytes.length ? B64[n & 63] : '=');
    }
    return out;
  };
  wx.base64ToArrayBuffer = function (text) {
    const clean = String(text).replace(/[^A-Za-z0-9+/]/g, '');
    const bytes = new Uint8Array(Math.floor(clean.length * 3 / 4));
    let n = 0, bits = 0, j = 0;
    for (let i = 0; i < clean.length; i++) {
      n = (n << 6) | B64.indexOf(clean[i]);
      bits += 6;
      if (bits >= 8) {
        bits -= 8;
        bytes[j++] = (n >> bits) & 255;
      }
    }
    return bytes.buffer.slice(0, j);
  };

  global.wx = wx;

  // ---------------------------------------------------------------- App / Page / Component
  // Enough of the framework for page and app files copied from a project to run: the
  // registration functions, `this.data`/`setData`, and the lifecycle (launch, load, show,
  // ready; hide and unload on Ctrl-C).
  // A data path may not name what leads out of the data: `__proto__` (the prototype),
  // `constructor` and `prototype` (through them, Object.prototype). Such a path is
  // ignored with a warning, as WeChat ignores what setData cannot apply; the rest of the
  // setData call goes on. Only own properties are walked.
  const FORBIDDEN_SEGMENTS = ['__proto__', 'constructor', 'prototype'];
  const hasOwn = Object.prototype.hasOwnProperty;
  function setPath(target, path, value) {
    const keys = [];
    path.replace(/[^.[\]]+|\[(\d+)\]/g, function (m, index) { keys.push(index !== undefined ? Number(index) : m); });
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
    Object.keys(data || {}).forEach(function (path) { setPath(self.data, path, data[path]); });
    if (typeof callback === 'function') setTimeout(function () { callback.call(self); }, 0);
  }
  function call(obj, name, arg) {
    if (obj && typeof obj[name] === 'function') {
      try { obj[name](arg); } catch (e) { N.reportError(e); }
    }
  }
  function copyData(data) {
    return data === undefined ? {} : JSON.parse(JSON.stringify(data));
  }

  let appInstance = null;
  const pages = [];
  const launch = { path: '', query: {}, scene: 1001, referrerInfo: {} };
  global.App = function (options) {
    appInstance = Object.assign({}, options);
    if (!appInstance.globalData) appInstance.globalData = {};
    setTimeout(function () {
      call(appInstance, 'onLaunch', launch);
      call(appInstance, 'onShow', launch);
      appShow.emit(launch);
    }, 0);
  };
  global.getApp = function () {
    if (!appInstance) appInstance = { globalData: {} };
    return appInstance;
  };
  global.getCurrentPages = function () { return pages.slice(); };
  global.Page = function (options) {
    const page = Object.assign({}, options || {});
    page.data = copyData(page.data);
    page.route = '';
    page.options = {};
    page.setData = setData;
    pages.push(page);
    setTimeout(function () {
      call(page, 'onLoad', {});
      call(page, 'onShow');
      call(page, 'onReady');
    }, 0);
  };
  global.Component = function (options) {
    const opts = options || {};
    const comp = Object.assign({}, opts.methods || {});
    comp.data = copyData(opts.data);
    comp.properties = {};
    comp.setData = setData;
    const life = opts.lifetimes || {};
    const hook = function (name) { return life[name] || opts[name]; };
    pages.push(comp);
    setTimeout(function () {
      ['created', 'attached', 'ready'].forEach(function (name) {
        const fn = hook(name);
        if (typeof fn === 'function') call({ f: fn.bind(comp) }, 'f');
      });
      if (opts.methods) {
        call(comp, 'onLoad', {});
        call(comp, 'onShow');
      }
    }, 0);
    comp.__detached = hook('detached');
  };
  global.Behavior = function (options) { return options; };

  function hideAll() {
    appHide.emit({});
    call(appInstance, 'onHide');
    pages.slice().reverse().forEach(function (p) {
      call(p, 'onHide');
      call(p, 'onUnload');
      if (typeof p.__detached === 'function') call({ f: p.__detached.bind(p) }, 'f');
    });
  }

  // ---------------------------------------------------------------- modules
  const cache = Object.create(null);
  function dirname(path) {
    const i = path.lastIndexOf('/');
    return i <= 0 ? '/' : path.slice(0, i);
  }
  // The natives read only the main script and files inside the package (modules.rs),
  // whoever calls them.
  function load(path) {
    if (cache[path]) return cache[path].exports;
    const module = { id: path, filename: path, exports: {}, loaded: false, children: [] };
    cache[path] = module;
    try {
      if (/\.json$/.test(path)) {
        module.exports = JSON.parse(N.readFile(path));
      } else {
        const dir = dirname(path);
        N.compile(path).call(module.exports, module.exports, makeRequire(dir), module, path, dir);
      }
    } catch (e) {
      delete cache[path];
      throw e;
    }
    module.loaded = true;
    return module.exports;
  }
  function makeRequire(dir) {
    function require(request) {
      if (typeof request !== 'string' || request === '') {
        throw new TypeError('require: the module name must be a non-empty string');
      }
      return load(N.resolve(dir, request));
    }
    require.cache = cache;
    require.resolve = function (request) { return N.resolve(dir, String(request)); };
    return require;
  }

  return {
    runMain: function (path) { load(path); },
    appHide: hideAll,
  };
})
