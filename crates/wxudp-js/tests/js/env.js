// The rest of the environment real UDP code touches (docs/CONTRACT.md §9).
const { assert, eq, until, run, sleep } = require('./harness.js');

run(async function () {
  // Timers: order, arguments, clear, intervals.
  const order = [];
  setTimeout(function (x, y) { order.push('t20:' + x + y); }, 20, 'a', 'b');
  setTimeout(() => order.push('t0'), 0);
  setTimeout(() => order.push('t10'), 10);
  const cancelled = setTimeout(() => order.push('never'), 5);
  clearTimeout(cancelled);
  clearTimeout(undefined);
  let ticks = 0;
  const iv = setInterval(() => { ticks++; if (ticks === 3) clearInterval(iv); }, 10);
  await until(() => order.length === 3 && ticks === 3, 'timers');
  eq(order, ['t0', 't10', 't20:ab'], 'timer order');
  await sleep(40);
  eq(ticks, 3, 'clearInterval stops the interval');
  let threw = false;
  try { setTimeout('code', 1); } catch (e) { threw = e instanceof TypeError; }
  assert(threw, 'setTimeout with a string throws TypeError');

  // Promises and async/await interleave with timers as in browsers.
  const seq = [];
  setTimeout(() => seq.push('timeout'), 0);
  Promise.resolve().then(() => seq.push('micro1')).then(() => seq.push('micro2'));
  seq.push('sync');
  await sleep(5);
  eq(seq, ['sync', 'micro1', 'micro2', 'timeout'], 'job order');

  // TextEncoder / TextDecoder.
  const enc = new TextEncoder();
  const bytes = enc.encode('héllo 中文');
  assert(bytes instanceof Uint8Array, 'encode gives a Uint8Array');
  eq(Array.from(bytes.slice(0, 3)), [0x68, 0xc3, 0xa9], 'UTF-8 bytes');
  eq(new TextDecoder('utf-8').decode(bytes), 'héllo 中文', 'decode Uint8Array');
  eq(new TextDecoder().decode(bytes.buffer), 'héllo 中文', 'decode ArrayBuffer');
  eq(new TextDecoder('utf8').decode(new DataView(bytes.buffer, 0, 5)), 'héll', 'decode DataView');
  eq(new TextDecoder().decode(new Uint8Array([0xef, 0xbb, 0xbf, 0x41])), 'A', 'BOM stripped');
  eq(new TextDecoder().decode(new Uint8Array([0xff, 0x41])), '\ufffdA', 'lossy by default');
  threw = false;
  try { new TextDecoder('utf-8', { fatal: true }).decode(new Uint8Array([0xff])); } catch (e) { threw = e instanceof TypeError; }
  assert(threw, 'fatal decoder throws');
  threw = false;
  try { new TextDecoder('klingon'); } catch (e) { threw = e instanceof RangeError; }
  assert(threw, 'unsupported encodings throw RangeError');
  eq(new TextDecoder().decode(), '', 'decode()');

  // The decoding idioms mini programs use.
  const raw = enc.encode('温度=25℃');
  const viaEscape = decodeURIComponent(escape(String.fromCharCode.apply(null, raw)));
  eq(viaEscape, '温度=25℃', 'fromCharCode + escape + decodeURIComponent');
  eq(decodeURIComponent(escape(String.fromCharCode(...raw))), '温度=25℃', 'spread form');
  eq(unescape(escape('a b')), 'a b', 'escape/unescape');
  eq(encodeURIComponent('a b&c'), 'a%20b%26c', 'encodeURIComponent');
  const hex = Array.prototype.map.call(new Uint8Array([0, 15, 255]), b => ('00' + b.toString(16)).slice(-2)).join('');
  eq(hex, '000fff', 'hex dump');
  const dv = new DataView(new Uint8Array([0x12, 0x34, 0x56, 0x78]).buffer);
  eq(dv.getUint16(0), 0x1234, 'big-endian read');
  eq(dv.getUint32(0, false), 0x12345678, 'big-endian u32');
  eq(JSON.parse('{"a":[1,2]}').a[1], 2, 'JSON');
  assert(typeof Date.now() === 'number' && Date.now() > 1.6e12, 'Date.now');
  const r = Math.random();
  assert(r >= 0 && r < 1, 'Math.random');

  // console methods exist and accept anything.
  for (const m of ['log', 'info', 'warn', 'error', 'debug']) eq(typeof console[m], 'function', 'console.' + m);
  console.log('env fixture: %s %d', 'ok', 42, { nested: { a: [1, 'x'] } }, new ArrayBuffer(2));
  console.debug(null, undefined, true, Symbol('s'), 10n, [], {}, new Map([[1, 2]]), new Set([3]));

  // Globals that exist in WeChat's JS environment.
  eq(typeof globalThis, 'object', 'globalThis');
  eq(typeof wx, 'object', 'wx');
});
