// wx storage: values round-trip or are refused at set time (never changed silently), at
// any depth without a crash; WeChat's limits and failure wording; sync APIs throw an
// Error whose message is the errMsg, async ones call fail / reject with { errMsg }.
const { assert, eq, run } = require('./harness.js');

function throws(f) {
  try { f(); } catch (e) { return e; }
  throw new Error('expected an exception');
}

function nest(levels, wrap) {
  let v = 'core';
  for (let i = 0; i < levels; i++) v = wrap(v);
  return v;
}

function depthOf(v) {
  let d = 0;
  while (v !== null && typeof v === 'object') { v = Array.isArray(v) ? v[0] : v.a; d++; }
  return d;
}

run(async function () {
  wx.clearStorageSync();

  // Deep values round-trip up to the limit; deeper ones are refused, even 100k deep.
  for (const levels of [200, 1000]) {
    wx.setStorageSync('deep', nest(levels, v => [v]));
    const back = wx.getStorageSync('deep');
    eq(depthOf(back), levels, levels + ' arrays deep');
    wx.setStorageSync('deepObject', nest(levels, v => ({ a: v })));
    eq(depthOf(wx.getStorageSync('deepObject')), levels, levels + ' objects deep');
  }
  for (const levels of [1001, 100000]) {
    const e = throws(() => wx.setStorageSync('deep', nest(levels, v => [v])));
    assert(e instanceof Error, 'an Error');
    eq(e.message, 'setStorageSync:fail cannot store data: it is nested deeper than 1000 levels', levels + ' deep');
    eq(e.errMsg, e.message, 'errMsg');
  }
  eq(depthOf(wx.getStorageSync('deep')), 1000, 'a refused set keeps the old value');

  // What JSON cannot hold is refused, with where it is.
  const cyclic = { a: { b: {} } };
  cyclic.a.b.c = cyclic.a;
  const refused = [
    [function () {}, 'data: it is a function'],
    [() => 1, 'data: it is a function'],
    [Symbol('s'), 'data: it is a Symbol'],
    [undefined, 'data: it is undefined'],
    [10n, 'data: it is a BigInt'],
    [NaN, 'data: it is NaN'],
    [-Infinity, 'data: it is -Infinity'],
    [cyclic, 'data.a.b.c: it is a cycle: it contains itself'],
    [{ list: [1, undefined] }, 'data.list[1]: it is undefined'],
    [{ handler: { onMessage() {} } }, 'data.handler.onMessage: it is a function'],
    [{ 'odd key': [0, 1n] }, 'data["odd key"][1]: it is a BigInt'],
    [{ m: new Map([[1, 2]]) }, 'data.m: it is a Map, whose content JSON cannot hold'],
    [new Set([1]), 'data: it is a Set, whose content JSON cannot hold'],
    [{ bytes: new Uint8Array([1, 2]) }, 'data.bytes: it is a Uint8Array, whose content JSON cannot hold'],
    [new ArrayBuffer(2), 'data: it is a ArrayBuffer, whose content JSON cannot hold'],
    [{ r: /x/ }, 'data.r: it is a RegExp, whose content JSON cannot hold'],
  ];
  wx.setStorageSync('kept', 1);
  for (const [value, reason] of refused) {
    const e = throws(() => wx.setStorageSync('kept', value));
    eq(e.message, 'setStorageSync:fail cannot store ' + reason, reason);
  }
  eq(wx.getStorageSync('kept'), 1, 'a refused value changes nothing');

  // What JSON.stringify keeps unchanged is stored as such.
  class Point { constructor() { this.x = 1; this.y = 2; } get sum() { return 3; } }
  const values = [
    [{ a: 1, b: undefined, c: [null, true, 'x', -0, 1.5e300] }, { a: 1, c: [null, true, 'x', 0, 1.5e300] }],
    [new Point(), { x: 1, y: 2 }],
    [new Date(0), '1970-01-01T00:00:00.000Z'],
    [{ n: new Number(3), s: new String('t'), b: new Boolean(false) }, { n: 3, s: 't', b: false }],
    [{ toJSON() { return { custom: true }; } }, { custom: true }],
    ['', ''],
    [0, 0],
    [null, null],
    [false, false],
    [[], []],
    [{ '__proto__': 1, 'k"\n': '中文 ✓' }, { 'k"\n': '中文 ✓' }],
  ];
  for (const [value, expected] of values) {
    wx.setStorageSync('v', value);
    eq(wx.getStorageSync('v'), expected, JSON.stringify(expected));
  }
  // A getter that throws: its exception reaches the caller, nothing is stored.
  const e1 = throws(() => wx.setStorageSync('v', { get bad() { throw new RangeError('getter'); } }));
  assert(e1 instanceof RangeError && e1.message === 'getter', 'getter exception: ' + e1);
  eq(wx.getStorageSync('v'), { 'k"\n': '中文 ✓' }, 'unchanged');
  // A getter is read once: what was checked is what is stored.
  let calls = 0;
  wx.setStorageSync('v', { get sly() { calls++; return calls === 1 ? 'fine' : function () {}; } });
  eq([wx.getStorageSync('v'), calls], [{ sly: 'fine' }, 1], 'each property read once');

  // Keys.
  eq(throws(() => wx.setStorageSync(1, 'x')).message,
    'setStorageSync:fail parameter error: parameter.key should be String instead of Number;', 'numeric key');
  eq(throws(() => wx.getStorageSync(undefined)).message,
    'getStorageSync:fail parameter error: parameter.key should be String instead of Undefined;', 'missing key');

  // WeChat's limits: 1 MB of JSON per key, 10 MB in all.
  const MB = 1024 * 1024;
  wx.clearStorageSync();
  const fits = 'x'.repeat(MB - 2); // with its quotes, exactly 1 MiB of JSON
  wx.setStorageSync('one', fits);
  eq(wx.getStorageSync('one').length, MB - 2, 'an item of exactly 1 MiB');
  const e2 = throws(() => wx.setStorageSync('two', fits + 'x'));
  eq([e2.message, e2.errMsg], ['setStorageSync:fail exceed storage item max length',
    'setStorageSync:fail exceed storage item max length'], 'item too long');
  eq(wx.getStorageSync('two'), '', 'not stored');
  let failed = null;
  wx.setStorage({ key: 'two', data: fits + 'x', fail(res) { failed = res; } });
  const rejected = await wx.setStorage({ key: 'two', data: [fits, 1] }).catch(err => err);
  eq(rejected, { errMsg: 'setStorage:fail exceed storage item max length' }, 'setStorage promise');
  eq(failed, { errMsg: 'setStorage:fail exceed storage item max length' }, 'setStorage fail callback');
  for (let i = 1; i < 9; i++) wx.setStorageSync('k' + i, fits);
  const e3 = throws(() => wx.setStorageSync('k9', fits));
  eq(e3.message, 'setStorageSync:fail exceed storage max size', 'total too large');
  const rejected2 = await wx.setStorage({ key: 'k9', data: fits }).catch(err => err);
  eq(rejected2, { errMsg: 'setStorage:fail exceed storage max size' }, 'setStorage total');
  const unstorable = await wx.setStorage({ key: 'f', data: { f() {} } }).catch(err => err);
  eq(unstorable, { errMsg: 'setStorage:fail cannot store data.f: it is a function' }, 'setStorage refuses');
  wx.setStorageSync('k8', 'small'); // replacing frees room
  wx.setStorageSync('k9', fits);
  await wx.removeStorage({ key: 'k9' });
  eq(wx.getStorageSync('k9'), '', 'removed');
  wx.clearStorageSync();
  eq(wx.getStorageSync('one'), '', 'cleared');
});
