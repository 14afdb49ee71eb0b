// The JavaScript half of the runtime: the `wx` global, `UDPSocket`, console, timers,
// TextEncoder/TextDecoder and CommonJS `require`, written over the native functions in
// `N` (see natives.rs and udp.rs). Every UDPSocket rule lives in the Rust core; this file
// only gives it WeChat's shape. Evaluated once, it returns the hooks the Rust event loop
// calls.
(function (N, global) {
  'use strict';

  // ---------------------------------------------------------------- console
  // Values print the way Node's util.inspect prints them (and close to the devtools
  // console): class names, nesting to depth 2, Map/Set, getters not called, cycles as
  // [Circular *n], lines wrapped at 80 columns, long arrays grouped in columns. The
  // bytes of an ArrayBuffer, a DataView and a byte array (Uint8Array, Int8Array,
  // Uint8ClampedArray) are shown in hex, 50 at most and then how many more there are.
  function typeTag(v) {
    return Object.prototype.toString.call(v).slice(8, -1);
  }

  const BREAK_LENGTH = 80;
  const MAX_ARRAY = 100;
  const MAX_BYTES = 50;
  const MAX_STRING = 10000;
  const IDENT = /^[A-Za-z_$][\w$]*$/;
  const TYPED = ['Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array',
    'Int32Array', 'Uint32Array', 'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array'];
  const BYTE_ARRAYS = ['Int8Array', 'Uint8Array', 'Uint8ClampedArray'];

  function quote(s) {
    let text = s.length > MAX_STRING ? s.slice(0, MAX_STRING) : s;
    const q = text.indexOf("'") < 0 ? "'" : text.indexOf('"') < 0 ? '"' : text.indexOf('`') < 0 ? '`' : "'";
    text = text.replace(/[\\\n\r\t\b\f\v\0]/g, function (c) {
      return { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\b': '\\b', '\f': '\\f', '\v': '\\v', '\0': '\\x00' }[c];
    });
    if (q === "'") text = text.replace(/'/g, "\\'");
    const more = s.length > MAX_STRING ? '... ' + (s.length - MAX_STRING) + ' more characters' : '';
    return q + text + q + more;
  }

  function hexBytes(bytes) {
    const shown = Math.min(bytes.length, MAX_BYTES);
    const parts = [];
    for (let i = 0; i < shown; i++) parts.push((bytes[i] < 16 ? '0' : '') + bytes[i].toString(16));
    return parts.join(' ') + (bytes.length > shown ? ' ... ' + (bytes.length - shown) + ' more byte' + (bytes.length - shown === 1 ? '' : 's') : '');
  }

  // The name of the class of `v` ('' for plain objects), and whether its prototype is
  // null.
  function className(v) {
    let proto;
    try { proto = Object.getPrototypeOf(v); } catch (e) { return ''; }
    if (proto === null) return null;
    let name = '';
    try {
      const desc = Object.getOwnPropertyDescriptor(proto, 'constructor');
      if (desc && typeof desc.value === 'function') name = desc.value.name || '';
    } catch (e) { /* no name */ }
    return name;
  }

  function keyText(k) {
    if (typeof k === 'symbol') return '[' + k.toString() + ']';
    return IDENT.test(k) ? k : quote(k);
  }

  function functionText(v) {
    let src = '';
    try { src = Function.prototype.toString.call(v); } catch (e) { /* native */ }
    const name = v.name;
    if (/^class[\s{]/.test(src)) {
      const ext = /^class\s*[\w$]*\s+extends\s+([\w$.]+)/.exec(src);
      return '[class ' + (name || '(anonymous)') + (ext ? ' extends ' + ext[1] : '') + ']';
    }
    const kind = typeTag(v) === 'AsyncFunction' ? 'AsyncFunction' : typeTag(v) === 'GeneratorFunction' ? 'GeneratorFunction' : 'Function';
    return '[' + kind + (name ? ': ' + name : ' (anonymous)') + ']';
  }

  function isBelowBreakLength(ctx, output, start, base) {
    let total = output.length + start;
    if (total + output.length > BREAK_LENGTH) return false;
    for (let i = 0; i < output.length; i++) {
      total += output[i].length;
      if (total > BREAK_LENGTH) return false;
    }
    return base === '' || base.indexOf('\n') < 0;
  }

  // Node's groupArrayElements: many short entries in aligned columns.
  function groupArrayElements(ctx, output, value) {
    let totalLength = 0;
    let maxLength = 0;
    let outputLength = output.length;
    if (ctx.extraItems) outputLength--;
    const separatorSpace = 2;
    const dataLen = new Array(outputLength);
    for (let i = 0; i < outputLength; i++) {
      const len = output[i].length;
      dataLen[i] = len;
      totalLength += len + separatorSpace;
      if (maxLength < len) maxLength = len;
    }
    const actualMax = maxLength + separatorSpace;
    if (actualMax * 3 + ctx.indentationLvl < BREAK_LENGTH &&
        (totalLength / actualMax > 5 || maxLength <= 6)) {
      const averageBias = Math.sqrt(actualMax - totalLength / output.length);
      const biasedMax = Math.max(actualMax - 3 - averageBias, 1);
      const columns = Math.min(
        Math.round(Math.sqrt(2.5 * biasedMax * outputLength) / biasedMax),
        Math.floor((BREAK_LENGTH - ctx.indentationLvl) / actualMax),
        12, 15);
      if (columns <= 1) return output;
      const tmp = [];
      const maxLineLength = [];
      for (let i = 0; i < columns; i++) {
        let lineLength = 0;
        for (let j = i; j < outputLength; j += columns) if (dataLen[j] > lineLength) lineLength = dataLen[j];
        maxLineLength.push(lineLength + separatorSpace);
      }
      let padStart = true;
      if (value !== undefined) {
        for (let i = 0; i < outputLength; i++) {
          if (typeof value[i] !== 'number' && typeof value[i] !== 'bigint') { padStart = false; break; }
        }
      }
      for (let i = 0; i < outputLength; i += columns) {
        const max = Math.min(i + columns, outputLength);
        let str = '';
        let j = i;
        for (; j < max - 1; j++) {
          const cell = output[j] + ', ';
          str += padStart ? cell.padStart(maxLineLength[j - i], ' ') : cell.padEnd(maxLineLength[j - i], ' ');
        }
        str += padStart ? output[j].padStart(maxLineLength[j - i] - separatorSpace, ' ') : output[j];
        tmp.push(str);
      }
      if (ctx.extraItems) tmp.push(output[outputLength]);
      return tmp;
    }
    return output;
  }

  function reduceToSingleString(ctx, output, base, braces, isArrayLike, depth, value) {
    let entries = output.length;
    if (isArrayLike && entries > 6) output = groupArrayElements(ctx, output, value);
    if (ctx.currentDepth - depth < 3 && entries === output.length) {
      const start = output.length + ctx.indentationLvl + braces[0].length + base.length + 10;
      if (isBelowBreakLength(ctx, output, start, base)) {
        const joined = output.join(', ');
        if (joined.indexOf('\n') < 0) {
          return (base ? base + ' ' : '') + braces[0] + ' ' + joined + ' ' + braces[1];
        }
      }
    }
    const indentation = '\n' + ' '.repeat(ctx.indentationLvl);
    return (base ? base + ' ' : '') + braces[0] + indentation + '  ' +
      output.join(',' + indentation + '  ') + indentation + braces[1];
  }

  function formatValue(ctx, v, depth, top) {
    if (v === null) return 'null';
    switch (typeof v) {
      case 'undefined': return 'undefined';
      case 'string': return top ? v : quote(v);
      case 'number': return Object.is(v, -0) ? '-0' : String(v);
      case 'bigint': return v + 'n';
      case 'boolean': return String(v);
      case 'symbol': return v.toString();
    }
    const cycle = ctx.seen.indexOf(v);
    if (cycle >= 0) {
      let id = ctx.circular.get(v);
      if (id === undefined) { id = ctx.circular.size + 1; ctx.circular.set(v, id); }
      return '[Circular *' + id + ']';
    }
    const text = formatRaw(ctx, v, depth, top);
    const id = ctx.circular.get(v);
    return id !== undefined ? '<ref *' + id + '> ' + text : text;
  }

  // Own enumerable string keys and symbols, as `key: value` entries; accessors are
  // shown, not called.
  function propertyEntries(ctx, v, depth, skip) {
    const out = [];
    const keys = Object.keys(v).concat(Object.getOwnPropertySymbols(v).filter(function (s) {
      const d = Object.getOwnPropertyDescriptor(v, s);
      return d && d.enumerable;
    }));
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i];
      if (skip && skip(k)) continue;
      const desc = Object.getOwnPropertyDescriptor(v, k);
      if (!desc) continue;
      let shown;
      if (desc.get || desc.set) {
        shown = desc.get && desc.set ? '[Getter/Setter]' : desc.get ? '[Getter]' : '[Setter]';
      } else {
        ctx.indentationLvl += 2;
        shown = formatValue(ctx, desc.value, depth + 1, false);
        ctx.indentationLvl -= 2;
      }
      out.push(keyText(k) + ': ' + shown);
    }
    return out;
  }

  function formatRaw(ctx, v, depth, top) {
    if (typeof v === 'function') {
      const base = functionText(v);
      const props = depth > ctx.depth ? [] : withSeen(ctx, v, depth, function () {
        return propertyEntries(ctx, v, depth, function (k) { return k === 'prototype'; });
      });
      return props.length ? reduceToSingleString(ctx, props, base, ['{', '}'], false, depth) : base;
    }
    const tag = typeTag(v);
    let name = className(v);
    const nullProto = name === null;
    if (nullProto) name = '';
    if (v instanceof Error) {
      const head = (v.name || 'Error') + (v.message ? ': ' + v.message : '');
      if (top && v.stack) return head + '\n' + N.mapStack(String(v.stack)).replace(/\n$/, '');
      return '[' + head + ']';
    }
    if (tag === 'ArrayBuffer' || tag === 'SharedArrayBuffer') {
      let bytes;
      try { bytes = new Uint8Array(N.copyBytes(v)); } catch (e) { bytes = new Uint8Array(0); }
      return (name || tag) + ' { [Uint8Contents]: <' + hexBytes(bytes) + '>, byteLength: ' + bytes.length + ' }';
    }
    if (tag === 'DataView') {
      let bytes;
      try { bytes = new Uint8Array(N.copyBytes(v)); } catch (e) { bytes = new Uint8Array(0); }
      return (name || 'DataView') + '(' + bytes.length + ') <' + hexBytes(bytes) + '> { byteOffset: ' +
        v.byteOffset + ', byteLength: ' + v.byteLength + ' }';
    }
    if (TYPED.indexOf(tag) >= 0) {
      const label = (name || tag) + '(' + v.length + ')';
      if (BYTE_ARRAYS.indexOf(tag) >= 0) {
        let bytes;
        try { bytes = new Uint8Array(N.copyBytes(v)); } catch (e) { bytes = new Uint8Array(0); }
        return label + ' <' + hexBytes(bytes) + '>';
      }
      if (depth > ctx.depth) return '[' + (name || tag) + ']';
      const out = [];
      const n = Math.min(v.length, MAX_ARRAY);
      for (let i = 0; i < n; i++) out.push(formatValue(ctx, v[i], depth + 1, false));
      ctx.extraItems = v.length > n;
      if (ctx.extraItems) out.push('... ' + (v.length - n) + ' more item' + (v.length - n === 1 ? '' : 's'));
      if (out.length === 0) return label + ' []';
      return reduceToSingleString(ctx, out, label, ['[', ']'], true, depth, v);
    }
    if (tag === 'Date') return isNaN(v.getTime()) ? 'Invalid Date' : v.toISOString();
    if (tag === 'RegExp') return String(v);
    if (tag === 'Number' || tag === 'String' || tag === 'Boolean' || tag === 'BigInt' || tag === 'Symbol') {
      let prim;
      try { prim = v.valueOf(); } catch (e) { prim = '?'; }
      return '[' + tag + ': ' + formatValue(ctx, prim, depth + 1, false) + ']';
    }
    if (tag === 'Promise') return (name || 'Promise') + ' { <unknown> }';
    if (tag === 'WeakMap' || tag === 'WeakSet' || tag === 'WeakRef') return tag + ' { <items unknown> }';
    const isArray = Array.isArray(v);
    const isMap = tag === 'Map';
    const isSet = tag === 'Set';
    const prefix = nullProto ? '[' + (isArray ? 'Array' : tag === 'Object' ? 'Object' : tag) + ': null prototype]' : '';
    if (depth > ctx.depth) {
      return '[' + (nullProto ? 'Object: null prototype' : name || (isArray ? 'Array' : 'Object')) + ']';
    }
    return withSeen(ctx, v, depth, function () {
      let out = [];
      let braces = ['{', '}'];
      let base = '';
      let arrayLike = false;
      ctx.extraItems = false;
      if (isArray) {
        arrayLike = true;
        braces = ['[', ']'];
        if (name && name !== 'Array') base = name + '(' + v.length + ')';
        const n = Math.min(v.length, MAX_ARRAY);
        let holes = 0;
        for (let i = 0; i < n; i++) {
          if (!Object.prototype.hasOwnProperty.call(v, i)) { holes++; continue; }
          if (holes) { out.push('<' + holes + ' empty item' + (holes > 1 ? 's' : '') + '>'); holes = 0; }
          const desc = Object.getOwnPropertyDescriptor(v, i);
          ctx.indentationLvl += 2;
          out.push(desc && (desc.get || desc.set) ? '[Getter]' : formatValue(ctx, v[i], depth + 1, false));
          ctx.indentationLvl -= 2;
        }
        if (holes) out.push('<' + holes + ' empty item' + (holes > 1 ? 's' : '') + '>');
        const extra = v.length > n;
        if (extra) out.push('... ' + (v.length - n) + ' more item' + (v.length - n === 1 ? '' : 's'));
        const own = propertyEntries(ctx, v, depth, function (k) { return typeof k === 'string' && /^(0|[1-9]\d*)$/.test(k); });
        out = out.concat(own);
        ctx.extraItems = extra && own.length === 0;
      } else if (isMap || isSet) {
        base = (name || tag) + '(' + v.size + ')';
        ctx.indentationLvl += 2;
        v.forEach(function (val, key) {
          out.push(isMap ? formatValue(ctx, key, depth + 1, false) + ' => ' + formatValue(ctx, val, depth + 1, false)
            : formatValue(ctx, val, depth + 1, false));
        });
        ctx.indentationLvl -= 2;
        out = out.concat(propertyEntries(ctx, v, depth));
      } else {
        if (name && name !== 'Object') base = name;
        else if (tag !== 'Object' && tag !== 'Arguments' && !nullProto) base = 'Object [' + tag + ']';
        if (tag === 'Arguments') { braces = ['[', ']']; base = '[Arguments]'; }
        out = propertyEntries(ctx, v, depth);
      }
      if (prefix) base = base ? prefix + ' ' + base : prefix;
      if (out.length === 0) {
        if (isArray && !base) return '[]';
        return (base ? base + ' ' : '') + braces[0] + braces[1];
      }
      return reduceToSingleString(ctx, out, base, braces, arrayLike, depth, isArray ? v : undefined);
    });
  }

  function withSeen(ctx, v, depth, fn) {
    ctx.seen.push(v);
    ctx.currentDepth = depth;
    try { return fn(); } finally { ctx.seen.pop(); }
  }

  // util.inspect: `depth` levels of nesting shown (default 2; Infinity for all).
  function inspect(v, options) {
    const depth = options && options.depth !== undefined ? (options.depth === null ? Infinity : Number(options.depth)) : 2;
    const ctx = { depth: depth, seen: [], circular: new Map(), indentationLvl: 0, currentDepth: 0, extraItems: false };
    return formatValue(ctx, v, 0, options && options.top);
  }

  // A value the console cannot look at (a revoked Proxy, a getter or trap that throws)
  // prints as unreadable instead of throwing out of console.log.
  function show(v, top, options) {
    try {
      return inspect(v, { depth: options && options.depth, top: top });
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
          case 's': return typeof a === 'string' ? a : typeof a === 'object' && a !== null ? show(a, false, { depth: 1 }) : show(a, false);
          case 'd': case 'i': return typeof a === 'bigint' ? a + 'n' : String(c === 'i' ? parseInt(a) : Number(a));
          case 'f': return String(parseFloat(a));
          case 'j': try { return JSON.stringify(a); } catch (e) { return '[Circular]'; }
          case 'c': return '';
          case 'o': return show(a, false, { depth: 4 });
          default: return show(a, false);
        }
      });
      if (rest.length === 0) return head;
      head += ' ';
    }
    return head + rest.map(function (a) { return show(a, true); }).join(' ');
  }

  // console.group indents what follows by two spaces a level.
  let groupIndent = '';
  function print(level, text) {
    N.print(level, groupIndent ? groupIndent + String(text).split('\n').join('\n' + groupIndent) : text);
  }

  // console.table: Node's box-drawn table, one row per own key (or item), one column
  // per key of the rows' objects (or `columns`), primitives in a `Values` column.
  function table(data, columns) {
    if (data === null || typeof data !== 'object') return print('log', format([data]));
    const rowKeys = data instanceof Map ? Array.from(data.keys()) : Object.keys(data);
    const values = data instanceof Map ? Array.from(data.values()) : rowKeys.map(function (k) { return data[k]; });
    const cols = [];
    let hasValues = false;
    const cell = function (x) { return show(x, false, { depth: 0 }); };
    const rows = values.map(function (row) {
      const cells = {};
      if (row !== null && typeof row === 'object') {
        Object.keys(row).forEach(function (k) {
          if (columns && columns.indexOf(k) < 0) return;
          if (cols.indexOf(k) < 0) cols.push(k);
          cells[k] = cell(row[k]);
        });
      } else {
        hasValues = true;
        cells['\0values'] = cell(row);
      }
      return cells;
    });
    const header = [data instanceof Map ? '(iteration index)' : '(index)'];
    if (data instanceof Map) header.push('Key');
    const order = (columns || cols).slice();
    const head = header.concat(order).concat(hasValues ? ['Values'] : []);
    const body = rows.map(function (cells, i) {
      const line = [data instanceof Map ? String(i) : String(rowKeys[i])];
      if (data instanceof Map) line.push(cell(rowKeys[i]));
      order.forEach(function (k) { line.push(k in cells ? cells[k] : ''); });
      if (hasValues) line.push('\0values' in cells ? cells['\0values'] : '');
      return line;
    });
    const widths = head.map(function (h, i) {
      return body.reduce(function (w, line) { return Math.max(w, line[i].length); }, h.length) + 2;
    });
    const rule = function (l, m, r) { return l + widths.map(function (w) { return '─'.repeat(w); }).join(m) + r; };
    const row = function (line) {
      return '│' + line.map(function (c, i) { return ' ' + c + ' '.repeat(widths[i] - c.length - 1); }).join('│') + '│';
    };
    const lines = [rule('┌', '┬', '┐'), row(head), rule('├', '┼', '┤')]
      .concat(body.map(row)).concat([rule('└', '┴', '┘')]);
    print('log', lines.join('\n'));
  }

  const console = {};
  ['log', 'info', 'warn', 'error', 'debug'].forEach(function (level) {
    console[level] = function () { print(level, format(arguments)); };
  });
  console.trace = function () {
    const err = new Error(format(arguments));
    print('error', 'Trace: ' + err.message + '\n' + N.mapStack(String(err.stack || '')).split('\n').slice(1).join('\n').replace(/\n$/, ''));
  };
  console.assert = function (ok) {
    if (!ok) print('error', 'Assertion failed' + (arguments.length > 1 ? ': ' + format(Array.prototype.slice.call(arguments, 1)) : ''));
  };
  console.dir = function (v, options) { print('log', show(v, false, options)); };
  console.dirxml = console.log;
  console.table = function (data, columns) {
    try { table(data, Array.isArray(columns) ? columns.map(String) : undefined); } catch (e) { print('log', format([data])); }
  };
  console.group = console.groupCollapsed = function () {
    if (arguments.length > 0) print('log', format(arguments));
    groupIndent += '  ';
  };
  console.groupEnd = function () { groupIndent = groupIndent.slice(0, Math.max(0, groupIndent.length - 2)); };
  const counts = Object.create(null);
  console.count = function (label) {
    const key = label === undefined ? 'default' : String(label);
    counts[key] = (counts[key] || 0) + 1;
    print('log', key + ': ' + counts[key]);
  };
  console.countReset = function (label) { counts[label === undefined ? 'default' : String(label)] = 0; };
  const timeLabels = Object.create(null);
  console.time = function (label) { timeLabels[label === undefined ? 'default' : String(label)] = Date.now(); };
  console.timeLog = function (label) {
    const key = label === undefined ? 'default' : String(label);
    if (key in timeLabels) {
      const extra = Array.prototype.slice.call(arguments, 1);
      print('log', key + ': ' + (Date.now() - timeLabels[key]) + 'ms' + (extra.length ? ' ' + format(extra) : ''));
    }
  };
  console.timeEnd = function (label) {
    const key = label === undefined ? 'default' : String(label);
    if (key in timeLabels) {
      print('log', key + ': ' + (Date.now() - timeLabels[key]) + 'ms');
      delete timeLabels[key];
    }
  };
  global.console = console;

  // ---------------------------------------------------------------- timers
  function timer(repeat) {
    return function (fn, ms) {
      if (typeof fn !== 'function') {
        throw new TypeError('The "callback" argument must be of type function. Received ' + show(fn, false));
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

  // How WeChat's asynchronous APIs answer: through `success`/`fail`/`complete` when
  // any is given (and then nothing is returned), otherwise with the Promise itself.
  function settle(opts, promise) {
    const hasCallback = ['success', 'fail', 'complete'].some(function (k) { return typeof opts[k] === 'function'; });
    if (!hasCallback) return promise;
    promise.then(function (res) {
      if (typeof opts.success === 'function') opts.success(res);
      if (typeof opts.complete === 'function') opts.complete(res);
    }, function (err) {
      if (typeof opts.fail === 'function') opts.fail(err);
      if (typeof opts.complete === 'function') opts.complete(err);
    }).catch(N.reportError);
    return undefined;
  }

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
      return settle(opts, promise);
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
    ['getSystemInfo', '1.0.0'], ['getDeviceInfo', '2.20.1'], ['getWindowInfo', '2.20.1'],
    ['getAppBaseInfo', '2.20.1'], ['getSystemSetting', '2.20.1'], ['getAppAuthorizeSetting', '2.20.1'],
    ['navigateTo', '1.0.0'], ['redirectTo', '1.0.0'], ['navigateBack', '1.0.0'], ['reLaunch', '1.1.0'],
    ['switchTab', '1.0.0'], ['getNetworkType', '1.0.0'], ['onNetworkStatusChange', '1.1.0'],
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

  // The device of --platform (platform.rs): an Android phone unless told otherwise.
  const SYSTEM_INFO = N.systemInfoJson;
  function pick(keys) {
    return function () {
      const all = JSON.parse(SYSTEM_INFO);
      const out = {};
      keys.forEach(function (k) { if (k in all) out[k] = all[k]; });
      return out;
    };
  }
  function systemInfo() { return JSON.parse(SYSTEM_INFO); }
  wx.getSystemInfoSync = systemInfo;
  wx.getSystemInfo = asyncApi('getSystemInfo', systemInfo);
  wx.getDeviceInfo = pick(['abi', 'deviceAbi', 'benchmarkLevel', 'brand', 'model', 'system', 'platform', 'cpuType', 'memorySize']);
  wx.getWindowInfo = pick(['pixelRatio', 'screenWidth', 'screenHeight', 'windowWidth', 'windowHeight', 'statusBarHeight', 'safeArea', 'screenTop']);
  wx.getAppBaseInfo = pick(['SDKVersion', 'enableDebug', 'host', 'language', 'version', 'theme', 'fontSizeSetting', 'fontSizeScaleFactor']);
  wx.getSystemSetting = pick(['bluetoothEnabled', 'locationEnabled', 'wifiEnabled', 'deviceOrientation']);
  wx.getAppAuthorizeSetting = function () {
    return {
      albumAuthorized: 'authorized', bluetoothAuthorized: 'authorized', cameraAuthorized: 'authorized',
      locationAuthorized: 'authorized', microphoneAuthorized: 'authorized', notificationAuthorized: 'authorized',
    };
  };
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

  // ---------------------------------------------------------------- Wi-Fi
  // wx.startWifi and the rest over N.wifi (wifi.rs, which decides every errCode):
  // success/fail/complete or a Promise, results with errCode 0, failures as
  // { errMsg: 'connectWifi:fail password error Wi-Fi', errCode: 12002 }. In a LAN
  // (wxudp lan) connectWifi moves this host onto the network; onNetworkStatusChange and
  // onWifiConnected follow.
  const wifiConnected = listenerList();
  const wifiConnectedPartial = listenerList();
  const wifiList = listenerList();
  // WifiInfo with its fields in WeChat's order (the JSON from Rust has them sorted).
  function wifiInfo(w) {
    const out = {};
    ['SSID', 'BSSID', 'secure', 'signalStrength', 'frequency'].forEach(function (k) { if (k in w) out[k] = w[k]; });
    return out;
  }
  function wifiCall(op, args) {
    const answer = JSON.parse(N.wifi(op, JSON.stringify(args || {})));
    const r = answer.result;
    if (r && r.wifi) r.wifi = wifiInfo(r.wifi);
    if (r && r.fullWifi) r.fullWifi = wifiInfo(r.fullWifi);
    if (r && r.wifiList) r.wifiList = r.wifiList.map(wifiInfo);
    return answer;
  }
  // `body(opts, done)` calls done with N.wifi's answer, now or later.
  function wifiApi(name, body) {
    return function (options) {
      const opts = options || {};
      const promise = new Promise(function (resolve, reject) {
        body(opts, function (answer) {
          if (answer.errCode) reject({ errMsg: name + ':fail ' + answer.reason, errCode: answer.errCode });
          else resolve(Object.assign({ errMsg: name + ':ok', errCode: 0 }, answer.result));
        });
      });
      return settle(opts, promise);
    };
  }
  wx.startWifi = wifiApi('startWifi', function (opts, done) { done(wifiCall('start')); });
  wx.stopWifi = wifiApi('stopWifi', function (opts, done) { done(wifiCall('stop')); });
  wx.getConnectedWifi = wifiApi('getConnectedWifi', function (opts, done) {
    done(wifiCall('connected', { partialInfo: opts.partialInfo === true }));
  });
  // The list goes to the onGetWifiList listeners, after the success callback.
  wx.getWifiList = wifiApi('getWifiList', function (opts, done) {
    const answer = wifiCall('list');
    if (answer.errCode) return done(answer);
    done({ result: {} });
    setTimeout(function () { wifiList.emit({ wifiList: answer.result.wifiList }); }, 0);
  });
  // Checked at once (a second call before the answer is 12004), joined in a later turn
  // of the loop (the LAN controller moves the host meanwhile).
  wx.connectWifi = wifiApi('connectWifi', function (opts, done) {
    const request = {
      SSID: typeof opts.SSID === 'string' ? opts.SSID : undefined,
      BSSID: typeof opts.BSSID === 'string' ? opts.BSSID : undefined,
      password: opts.password === undefined || opts.password === null ? '' : String(opts.password),
      partialInfo: opts.partialInfo === true,
    };
    const begun = wifiCall('connectBegin', request);
    if (begun.errCode) return done(begun);
    setTimeout(function () {
      const answer = wifiCall('connectFinish', request);
      if (answer.errCode) return done(answer);
      // The events first, as the phone's network changes before the call returns.
      const result = answer.result;
      if (result.moved) networkStatus.emit({ isConnected: true, networkType: 'wifi' });
      wifiConnected.emit({ wifi: result.fullWifi });
      wifiConnectedPartial.emit({ wifi: { SSID: result.fullWifi.SSID } });
      done({ result: result.wifi ? { wifi: result.wifi } : {} });
    }, 0);
  });
  wx.onGetWifiList = wifiList.on;
  wx.offGetWifiList = wifiList.off;
  wx.onWifiConnected = wifiConnected.on;
  wx.offWifiConnected = wifiConnected.off;
  wx.onWifiConnectedWithPartialInfo = wifiConnectedPartial.on;
  wx.offWifiConnectedWithPartialInfo = wifiConnectedPartial.off;
  [['startWifi', '1.6.0'], ['stopWifi', '1.6.0'], ['getWifiList', '1.6.0'], ['onGetWifiList', '1.6.0'],
    ['offGetWifiList', '2.9.3'], ['connectWifi', '1.6.0'], ['connectWifi.object.partialInfo', '2.22.0'],
    ['getConnectedWifi', '1.6.0'], ['getConnectedWifi.object.partialInfo', '2.22.0'],
    ['onWifiConnected', '1.6.0'], ['offWifiConnected', '2.9.3'],
    ['onWifiConnectedWithPartialInfo', '2.22.0'], ['offWifiConnectedWithPartialInfo', '2.22.0'],
  ].forEach(function (e) { canIUseTable[e[0]] = e[1]; });
  const systemSetting = wx.getSystemSetting;
  wx.getSystemSetting = function () {
    return Object.assign(systemSetting(), { wifiEnabled: N.wifiEnabled });
  };

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

  // What the run runs (project.rs): a script, a mini program (app.js, then the entry
  // page) or a mini game (game.js, with GameGlobal).
  const project = JSON.parse(N.projectJson);
  const ROOT = project.root;
  const PAGES = project.pages;

  // The route of a module file: its path in the package without the extension.
  function routeOf(path) {
    if (typeof path !== 'string' || path.indexOf(ROOT + '/') !== 0) return '';
    return path.slice(ROOT.length + 1).replace(/\.(js|ts|mjs|cjs)$/, '');
  }
  // Query strings as WeChat hands them to onLoad: values as written (not decoded).
  function parseQuery(text) {
    const query = {};
    String(text || '').split('&').forEach(function (pair) {
      if (pair === '') return;
      const i = pair.indexOf('=');
      query[i < 0 ? pair : pair.slice(0, i)] = i < 0 ? '' : pair.slice(i + 1);
    });
    return query;
  }

  let appInstance = null;
  // The page stack (getCurrentPages), and every page made during the run (--report).
  const stack = [];
  const everyPage = [];
  const definitions = Object.create(null);
  const launch = { path: project.entry || '', query: parseQuery(project.query), scene: 1001, referrerInfo: {} };
  global.App = function (options) {
    appInstance = Object.assign(appInstance || {}, options);
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
  global.getCurrentPages = function () { return stack.slice(); };

  // A page instance of a definition (Page options or a Component used as a page).
  function instantiate(def, route, query) {
    let page;
    if (def.kind === 'page') {
      page = Object.assign({}, def.options || {});
      page.data = copyData(page.data);
      page.setData = setData;
    } else {
      const opts = def.options || {};
      page = Object.assign({}, opts.methods || {});
      page.data = copyData(opts.data);
      page.properties = {};
      page.setData = setData;
      const life = opts.lifetimes || {};
      page.__hook = function (name) {
        const fn = life[name] || opts[name];
        if (typeof fn === 'function') call({ f: fn.bind(page) }, 'f');
      };
      page.__component = true;
    }
    page.route = route;
    page.__route__ = route;
    page.options = query;
    page.__state = 'loading';
    everyPage.push(page);
    return page;
  }
  function showPage(page) { page.__state = 'shown'; call(page, 'onShow'); }
  function hidePage(page) { page.__state = 'hidden'; call(page, 'onHide'); }
  function unloadPage(page) {
    page.__state = 'unloaded';
    call(page, 'onUnload');
    if (page.__component) page.__hook('detached');
  }
  // Runs a new page's lifecycle, as WeChat does, after what is already queued.
  function start(page) {
    setTimeout(function () {
      if (page.__component) {
        page.__hook('created');
        page.__hook('attached');
      }
      call(page, 'onLoad', page.options);
      showPage(page);
      if (page.__component) page.__hook('ready');
      call(page, 'onReady');
    }, 0);
  }

  // In a script run, Page() and Component() start the page at once; in a project,
  // they define the page their file is loaded for.
  let loadingRoute = null;
  function define(kind, options) {
    if (project.kind === 'miniprogram' && loadingRoute !== null) {
      definitions[loadingRoute] = { kind: kind, options: options };
      return;
    }
    const route = routeOf(currentFile());
    const page = instantiate({ kind: kind, options: options }, route, {});
    stack.push(page);
    start(page);
  }
  global.Page = function (options) { define('page', options); };
  global.Component = function (options) { define('component', options); };
  global.Behavior = function (options) { return options; };

  // Loads the file of `route` (once) and makes a page of it; throws what loading throws.
  function makePage(route, query) {
    if (!definitions[route]) {
      const file = N.pageFile(route);
      if (!file) throw new Error('page "' + route + '" has no ' + route + '.js or .ts');
      const outer = loadingRoute;
      loadingRoute = route;
      try { load(file); } finally { loadingRoute = outer; }
      if (!definitions[route]) {
        throw new Error('page "' + route + '" did not call Page() or Component()');
      }
    }
    return instantiate(definitions[route], route, query);
  }

  // Navigation (wx.navigateTo and friends): only to pages app.json lists, 10 deep at
  // most, each switch after what is already queued; success, fail and complete, or a
  // Promise.
  function resolveUrl(url) {
    const text = String(url === undefined ? '' : url);
    const q = text.indexOf('?');
    let path = q < 0 ? text : text.slice(0, q);
    const query = q < 0 ? '' : text.slice(q + 1);
    if (path.charAt(0) !== '/') {
      const current = stack.length ? stack[stack.length - 1].route : '';
      path = current.split('/').slice(0, -1).concat(path.split('/')).join('/');
    }
    const parts = [];
    path.split('/').forEach(function (seg) {
      if (seg === '' || seg === '.') return;
      if (seg === '..') parts.pop(); else parts.push(seg);
    });
    return { route: parts.join('/').replace(/\.(js|ts)$/, ''), query: parseQuery(query) };
  }
  function navigation(name, change) {
    return function (options) {
      const opts = options || {};
      const promise = new Promise(function (resolve, reject) {
        setTimeout(function () {
          try {
            if (project.kind !== 'miniprogram') {
              throw new Error('no pages: run a mini-program project folder (with app.json) to navigate');
            }
            change(opts);
            resolve({ errMsg: name + ':ok' });
          } catch (e) {
            reject({ errMsg: name + ':fail ' + (e && e.message ? e.message : String(e)) });
          }
        }, 0);
      });
      return settle(opts, promise);
    };
  }
  function target(opts) {
    const t = resolveUrl(opts.url);
    if (PAGES.indexOf(t.route) < 0) throw new Error('page "' + t.route + '" is not found');
    return t;
  }
  wx.navigateTo = navigation('navigateTo', function (opts) {
    const t = target(opts);
    if (stack.length >= 10) throw new Error('webview count limit exceed');
    const page = makePage(t.route, t.query);
    if (stack.length) hidePage(stack[stack.length - 1]);
    stack.push(page);
    start(page);
  });
  wx.redirectTo = navigation('redirectTo', function (opts) {
    const t = target(opts);
    const page = makePage(t.route, t.query);
    if (stack.length) unloadPage(stack.pop());
    stack.push(page);
    start(page);
  });
  function relaunch(opts) {
    const t = target(opts);
    const page = makePage(t.route, t.query);
    while (stack.length) unloadPage(stack.pop());
    stack.push(page);
    start(page);
  }
  wx.reLaunch = navigation('reLaunch', relaunch);
  wx.switchTab = navigation('switchTab', relaunch);
  wx.navigateBack = navigation('navigateBack', function (opts) {
    if (stack.length <= 1) throw new Error('cannot navigate back at first page.');
    const delta = Math.max(1, Math.floor(Number(opts.delta) || 1));
    for (let i = 0; i < delta && stack.length > 1; i++) unloadPage(stack.pop());
    showPage(stack[stack.length - 1]);
  });

  function hideAll() {
    appHide.emit({});
    call(appInstance, 'onHide');
    if (stack.length) hidePage(stack[stack.length - 1]);
    stack.slice().reverse().forEach(unloadPage);
  }

  // --report: every page made, its route, query, state and data, as JSON text.
  N.setPagesReporter(function () {
    return JSON.stringify(everyPage.map(function (p) {
      let data;
      try { data = JSON.parse(JSON.stringify(p.data === undefined ? null : p.data)); } catch (e) { data = '<cannot be written as JSON: ' + e.message + '>'; }
      return { route: p.route, query: p.options, state: p.__state, inStack: stack.indexOf(p) >= 0, data: data };
    }));
  });

  // ---------------------------------------------------------------- modules
  const cache = Object.create(null);
  const loading = [];
  function currentFile() { return loading.length ? loading[loading.length - 1] : ''; }
  function dirname(path) {
    const i = path.lastIndexOf('/');
    return i <= 0 ? '/' : path.slice(0, i);
  }
  // The natives read only the main script and files inside the package (modules.rs),
  // whoever calls them. An ES module or a .ts file arrives compiled to CommonJS (the
  // way WeChat's build compiles a project: `import` of a CommonJS module gets its
  // exports as the default export, `require` of an ES module gets its namespace).
  function load(path) {
    if (cache[path]) return cache[path].exports;
    const module = { id: path, filename: path, exports: {}, loaded: false, children: [] };
    cache[path] = module;
    loading.push(path);
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
    } finally {
      loading.pop();
    }
    module.loaded = true;
    return module.exports;
  }
  // The helpers of ES modules compiled to CommonJS (transform.rs), Babel's interop.
  const namespaces = new WeakMap();
  const INTEROP = Object.freeze({
    default: function (m) { return m && m.__esModule ? m['default'] : m; },
    namespace: function (m) {
      if (m && m.__esModule) return m;
      if (m === null || (typeof m !== 'object' && typeof m !== 'function')) return { default: m };
      let ns = namespaces.get(m);
      if (!ns) {
        ns = {};
        Object.keys(m).forEach(function (k) { ns[k] = m[k]; });
        ns['default'] = m;
        namespaces.set(m, ns);
      }
      return ns;
    },
    star: function (exports, m) {
      if (m === null || (typeof m !== 'object' && typeof m !== 'function')) return;
      Object.keys(m).forEach(function (k) {
        if (k === 'default' || k === '__esModule' || Object.prototype.hasOwnProperty.call(exports, k)) return;
        Object.defineProperty(exports, k, { enumerable: true, configurable: true, get: function () { return m[k]; } });
      });
    },
    dynamic: function (require, specifier) {
      return Promise.resolve().then(function () { return INTEROP.namespace(require(String(specifier))); });
    },
  });
  function makeRequire(dir) {
    function require(request) {
      if (typeof request !== 'string' || request === '') {
        throw new TypeError('require: the module name must be a non-empty string');
      }
      return load(N.resolve(dir, request));
    }
    require.cache = cache;
    require.interop = INTEROP;
    require.resolve = function (request) { return N.resolve(dir, String(request)); };
    return require;
  }

  // Other super-apps' and frameworks' names for the same API (docs/CONTRACT.md §10).
  ['uni', 'Taro', 'qq', 'tt', 'ks'].forEach(function (name) { global[name] = wx; });
  if (project.kind === 'minigame') global.GameGlobal = global;

  function runMain(path) {
    if (project.kind !== 'miniprogram') {
      load(path);
      return;
    }
    load(path);
    const page = makePage(project.entry, launch.query);
    stack.push(page);
    start(page);
  }

  return {
    runMain: runMain,
    appHide: hideAll,
  };
})
