// Part of the prelude (wx/mod.rs assembles it): The console: console.log and friends, printing values as Node's util.inspect does.
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
