// connect / write / setTTL (docs/CONTRACT.md §2; §9: the Unity bridge, setTTL after bind).
const { assert, eq, next, collect, until, run, text } = require('./harness.js');

run(async function () {
  const peer = wx.createUDPSocket();
  const peerPort = peer.bind();
  const got = collect(peer, 'Message');

  // connect before bind binds implicitly; then write with address and port.
  const c = wx.createUDPSocket();
  const listening = next(c, 'Listening');
  const errors = collect(c, 'Error');
  c.connect({ address: '127.0.0.1', port: peerPort });
  await listening;
  c.setTTL(64);
  c.write({ address: '127.0.0.1', port: peerPort, message: 'via write' });
  await until(() => got.length === 1, 'write');
  eq(text(got[0].message), 'via write', 'write after connect');
  const cPort = got[0].remoteInfo.port;

  // The connected socket hears only its peer.
  const heard = collect(c, 'Message');
  const stranger = wx.createUDPSocket();
  stranger.send({ address: '127.0.0.1', port: cPort, message: 'stranger' });
  peer.send({ address: '127.0.0.1', port: cPort, message: 'peer' });
  // Sent first on the same loopback path, the stranger's datagram would arrive first.
  await until(() => heard.length >= 1, 'peer reply');
  eq(heard.map(m => text(m.message)), ['peer'], 'only the peer is heard');

  // write without connect is send.
  const w = wx.createUDPSocket();
  w.write({ address: '127.0.0.1', port: peerPort, message: 'plain write' });
  await until(() => got.length === 2, 'plain write');
  eq(text(got[1].message), 'plain write', 'write without connect');

  // setTTL straight after bind, inside onListening, and before bind.
  const t = wx.createUDPSocket();
  t.setTTL(8);
  t.onListening(function () { t.setTTL(16); });
  t.bind();
  t.setTTL(32);
  await next(t, 'Listening');
  t.send({ address: '127.0.0.1', port: peerPort, message: 'ttl' });
  await until(() => got.length === 3, 'ttl datagram');
  eq(errors, [], 'no errors');

  for (const x of [peer, c, stranger, w, t]) x.close();
});
