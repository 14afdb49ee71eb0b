// Base library 2.9.3: no connect/write/setTTL, canIUse says so, and destinations must be
// on the device's own subnet (not its own address) or an allowed host name: errCode -3.
const { assert, eq, next, collect, until, run, text } = require('./harness.js');

run(async function () {
  eq(wx.getSystemInfoSync().SDKVersion, '2.9.3', 'SDKVersion');
  assert(!wx.canIUse('UDPSocket.setTTL'), 'no setTTL before 2.18.0');
  assert(!wx.canIUse('UDPSocket.connect'), 'no connect before 2.15.0');
  assert(wx.canIUse('UDPSocket.bind.port'), 'bind(port) since 2.9.0');
  const s = wx.createUDPSocket();
  eq(typeof s.setTTL, 'undefined', 'setTTL is undefined');
  eq(typeof s.connect, 'undefined', 'connect is undefined');
  eq(typeof s.write, 'undefined', 'write is undefined');

  const rx = wx.createUDPSocket();
  const port = rx.bind();
  const got = collect(rx, 'Message');
  const errors = collect(s, 'Error');
  s.send({ address: '127.0.0.1', port: port, message: 'own address' });
  s.send({ address: 'example.com', port: port, message: 'not allowed' });
  await until(() => errors.length === 2, 'two refusals');
  eq(errors[0], { errMsg: 'send:fail destination not permitted: 127.0.0.1', errCode: -3 }, 'own IP refused');
  eq(errors[1], { errMsg: 'send:fail destination not permitted: example.com', errCode: -3 }, 'host refused');
  s.send({ address: '127.0.0.2', port: port, message: 'same subnet' });
  s.send({ address: 'localhost', port: port, message: 'allowed name' });
  await until(() => got.length === 2, 'allowed sends');
  eq(got.map(m => text(m.message)), ['same subnet', 'allowed name'], 'allowed');
  s.close();
  rx.close();
});
