// setData paths: nested paths and indexes work; a path through __proto__, constructor or
// prototype is ignored (with a warning on stderr) and never reaches Object.prototype.
const { assert, eq, until, run } = require('./harness.js');

let page = null;
Page({
  data: { list: [{ name: 'a' }], info: {} },
  onLoad() { page = this; },
});

run(async function () {
  await until(() => page !== null, 'the page loads');
  page.setData({ 'list[0].name': 'b', 'info.ip': '127.0.0.1', 'grid[1][0]': 5, flat: 1 });
  eq(page.data.list[0].name, 'b', 'index path');
  eq(page.data.info.ip, '127.0.0.1', 'dotted path');
  eq(page.data.grid, [undefined, [5]].map(x => x === undefined ? null : x), 'new arrays');
  eq(page.data.flat, 1, 'plain key');

  const hostile = JSON.parse('{"__proto__": {"polluted": 1}}');
  page.setData(Object.assign(hostile, {
    '__proto__.x': 1,
    'constructor.prototype.y': 2,
    'a.__proto__.b': 3,
    'list[0].__proto__.z': 4,
    'info.constructor.prototype.w': 5,
    'prototype.v': 6,
    'kept': 'yes',
  }));
  const probe = {};
  for (const k of ['polluted', 'x', 'y', 'b', 'z', 'w', 'v']) {
    assert(!(k in probe), 'Object.prototype.' + k + ' was set');
    assert(!(k in Array.prototype), 'Array.prototype.' + k + ' was set');
  }
  eq(Object.getPrototypeOf(page.data), Object.prototype, 'the data keeps its prototype');
  eq(page.data.kept, 'yes', 'the other paths of the call apply');
  eq(page.data.a, undefined, 'an ignored path creates nothing');

  // Inherited names are not walked into either.
  page.setData({ 'toString.x': 1, 'hasOwnProperty.y': 2 });
  eq(page.data.toString, { x: 1 }, 'own object replaces an inherited function');
  eq(typeof Object.prototype.toString, 'function', 'Object.prototype.toString untouched');
});
