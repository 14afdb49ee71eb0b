// createUDPSocket, bind, listening, message payloads, listener order (docs/CONTRACT.md
// §2-3, §9).
const { assert, eq, next, collect, until, run, text, bytes } = require('./harness.js');

run(async function () {
  // Feature tests real apps do.
  assert(wx.canIUse('createUDPSocket'), 'canIUse createUDPSocket');
  assert(wx.canIUse('UDPSocket.setTTL'), 'canIUse UDPSocket.setTTL');
  assert(!wx.canIUse('UDPSocket.fly'), 'canIUse of an unknown member');
  eq(typeof wx.createUDPSocket, 'function', 'createUDPSocket type');

  const a = wx.createUDPSocket();
  assert(a !== null && typeof a === 'object', 'socket object');
  for (const m of ['bind', 'send', 'connect', 'write', 'setTTL', 'close', 'onClose', 'offClose',
    'onError', 'offError', 'onListening', 'offListening', 'onMessage', 'offMessage']) {
    eq(typeof a[m], 'function', 'UDPSocket.' + m);
  }

  // onListening before bind; and after bind, in the same turn: both see the event.
  const before = collect(a, 'Listening');
  const port = a.bind();
  assert(Number.isInteger(port) && port > 0 && port <= 65535, 'bind() returns the port: ' + port);
  const after = collect(a, 'Listening');
  eq(before.length + after.length, 0, 'listening is queued, not delivered inside bind');
  await until(() => after.length === 1, 'listening');
  eq(before, [{ errMsg: 'bind:ok' }], 'listener registered before bind');
  eq(after, [{ errMsg: 'bind:ok' }], 'listener registered after bind');

  // bind(undefined) and bind(0) pick a port too; a string port is read as a number.
  const b = wx.createUDPSocket();
  const bPort = b.bind(undefined);
  assert(bPort > 0, 'bind(undefined)');
  const c = wx.createUDPSocket();
  const cPort = c.bind(0);
  assert(cPort > 0, 'bind(0)');
  const d = wx.createUDPSocket();
  const free = wx.createUDPSocket();
  const freePort = free.bind();
  free.close();
  eq(d.bind(String(freePort)), freePort, 'bind("port")');

  // A fixed port that is busy: 0 and an error event with the OS text.
  const busy = wx.createUDPSocket();
  const busyErr = next(busy, 'Error');
  eq(busy.bind(port), 0, 'busy port returns 0');
  const e = await busyErr;
  eq(e, { errMsg: 'bind:fail address already in use (os error 98)', errCode: -2 }, 'busy port error');
  // Binding twice: 0 and -1.
  const twice = next(b, 'Error');
  eq(b.bind(), 0, 'second bind returns 0');
  eq(await twice, { errMsg: 'bind:fail socket is already bound', errCode: -1 }, 'already bound');

  // Messages: ArrayBuffer, remoteInfo, localInfo; several listeners in registration order.
  const order = [];
  function first(res) { order.push('first:' + text(res.message)); }
  const second = { tag: 'second', handle(res) { order.push(this.tag + ':' + text(res.message)); } };
  a.onMessage(first);
  a.onMessage(second.handle.bind(second));
  a.onMessage(first); // the same function twice runs twice
  const got = next(a, 'Message');
  b.send({ address: '127.0.0.1', port: port, message: 'hello, how are you' });
  const res = await got;
  assert(res.message instanceof ArrayBuffer, 'message is an ArrayBuffer');
  eq(text(res.message), 'hello, how are you', 'message text');
  eq(res.remoteInfo, { address: '127.0.0.1', family: 'IPv4', port: bPort, size: 18 }, 'remoteInfo');
  assert(res.remoteInfo.size > 0, 'size > 0');
  eq(res.localInfo, { address: '127.0.0.1', family: 'IPv4', port: port }, 'localInfo');
  eq(order, ['first:hello, how are you', 'second:hello, how are you', 'first:hello, how are you'], 'listener order');

  // Each event's objects are plain objects of their own, as an object literal makes
  // them: own, writable, enumerable, configurable data properties in WeChat's order; a
  // listener may change, add or delete properties without touching the next event's.
  eq(Object.keys(res), ['message', 'remoteInfo', 'localInfo'], 'result keys in order');
  eq(Object.keys(res.remoteInfo), ['address', 'family', 'port', 'size'], 'remoteInfo keys');
  eq(Object.keys(res.localInfo), ['address', 'family', 'port'], 'localInfo keys');
  eq(Object.getPrototypeOf(res.remoteInfo), Object.prototype, 'plain object');
  const desc = Object.getOwnPropertyDescriptor(res.remoteInfo, 'port');
  eq([desc.writable, desc.enumerable, desc.configurable], [true, true, true], 'data property');
  res.remoteInfo.port = -1;
  delete res.remoteInfo.family;
  res.localInfo.extra = 'mine';
  res.tag = 1;
  const again = next(a, 'Message');
  b.send({ address: '127.0.0.1', port: port, message: 'again' });
  const res2 = await again;
  assert(res2 !== res && res2.remoteInfo !== res.remoteInfo, 'new objects per event');
  eq(res2.remoteInfo, { address: '127.0.0.1', family: 'IPv4', port: bPort, size: 5 }, 'next remoteInfo untouched');
  eq(res2.localInfo, { address: '127.0.0.1', family: 'IPv4', port: port }, 'next localInfo untouched');
  eq('tag' in res2, false, 'next result untouched');
  eq(res.remoteInfo, { address: '127.0.0.1', port: -1, size: 18 }, 'the changed one keeps its changes');
  order.length = 0;

  // The sender's port is the one its bind() returned.
  const fromC = next(a, 'Message');
  c.send({ address: '127.0.0.1', port: port, message: new Uint8Array([1, 2, 3]).buffer });
  const r2 = await fromC;
  eq(bytes(r2.message), [1, 2, 3], 'bytes');
  eq(r2.remoteInfo.port, cPort, 'remote port');

  // Datagrams of several KB arrive whole; 65507 bytes too.
  for (const size of [6500, 65507]) {
    const big = new Uint8Array(size);
    for (let i = 0; i < size; i++) big[i] = i % 251;
    const p = next(a, 'Message');
    c.send({ address: '127.0.0.1', port: port, message: big });
    const r = await p;
    eq(r.remoteInfo.size, size, 'size of a ' + size + '-byte datagram');
    const back = new Uint8Array(r.message);
    assert(back.every((v, i) => v === i % 251), 'content of a ' + size + '-byte datagram');
  }

  // The address strings are reused while the peer stays the same: they change with it,
  // both ways, and with the address a datagram was sent to. A script may change a
  // result object without touching the next one.
  const peerSock = wx.createUDPSocket();
  const ePort = peerSock.bind();
  const seen = [];
  peerSock.onMessage(function (r) {
    seen.push([r.remoteInfo.address, r.remoteInfo.port, r.localInfo.address, r.remoteInfo.family]);
    r.remoteInfo.address = 'changed';
    r.extra = 1;
  });
  const peers = [[b, '127.0.0.1'], [c, '127.0.0.2'], [c, '127.0.0.1'], [b, '127.0.0.2'], [b, '127.0.0.2']];
  for (const [s, to] of peers) s.send({ address: to, port: ePort, message: 'x' });
  await until(() => seen.length === peers.length, 'five datagrams from two peers');
  eq(seen, peers.map(([s, to]) => ['127.0.0.1', s === b ? bPort : cPort, to, 'IPv4']),
    'remote and local addresses follow each datagram');
  peerSock.close();

  for (const s of [a, b, c, d, busy]) s.close();
});
