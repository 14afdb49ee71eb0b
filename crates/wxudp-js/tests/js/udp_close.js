// close(): flush, port released at once, close once, errors after (docs/CONTRACT.md
// §2 close, §9).
const { assert, eq, next, collect, until, run, text } = require('./harness.js');

run(async function () {
  // A burst of sends followed by close() in the same turn: every datagram goes out.
  const rx = wx.createUDPSocket();
  const port = rx.bind();
  const got = collect(rx, 'Message');
  const tx = wx.createUDPSocket();
  const N = 300; // fits the default receive buffer even where rmem_max is small
  for (let i = 0; i < N; i++) {
    tx.send({ address: '127.0.0.1', port: port, message: 'packet ' + i });
  }
  tx.close();
  await until(() => got.length === N, N + ' datagrams (got ' + got.length + ')');
  for (let i = 0; i < N; i++) eq(text(got[i].message), 'packet ' + i, 'datagram ' + i + ' in order');

  // close() twice, from inside try/catch and from onError; onClose fires once.
  const s = wx.createUDPSocket();
  const closes = collect(s, 'Close');
  const fixedPort = s.bind();
  s.onError(function () { s.close(); });
  s.send({ address: '127.0.0.1', port: 0, message: 'bad' }); // error -> close in onError
  await until(() => closes.length === 1, 'close event');
  try { s.close(); } catch (e) { throw new Error('close threw: ' + e); }
  s.close();
  eq(closes, [{ errMsg: 'close:ok' }], 'onClose fires once');

  // The port is free at once: a new socket binds the same fixed port.
  const again = wx.createUDPSocket();
  eq(again.bind(fixedPort), fixedPort, 'rebind of a just-closed port');

  // bind/send/write/connect/setTTL on the closed object: error events, bind returns 0.
  const errors = collect(s, 'Error');
  const before = errors.length;
  eq(s.bind(fixedPort), 0, 'bind after close returns 0');
  s.send({ address: '127.0.0.1', port: port, message: 'x' });
  s.write({ address: '127.0.0.1', port: port, message: 'x' });
  s.connect({ address: '127.0.0.1', port: port });
  s.setTTL(64);
  await until(() => errors.length === before + 5, 'five errors');
  eq(errors.slice(before).map(e => e.errMsg), [
    'bind:fail socket is closed', 'send:fail socket is closed', 'write:fail socket is closed',
    'connect:fail socket is closed', 'setTTL:fail socket is closed'], 'errors after close');
  assert(errors.slice(before).every(e => e.errCode === -1), 'errCode -1');

  // Message listeners never run after close, even for datagrams already received.
  const r = wx.createUDPSocket();
  const rPort = r.bind();
  let calls = 0;
  r.onMessage(function () { calls++; r.close(); });
  const burst = wx.createUDPSocket();
  for (let i = 0; i < 20; i++) burst.send({ address: '127.0.0.1', port: rPort, message: 'm' + i });
  await next(r, 'Close');
  const probe = wx.createUDPSocket();
  const pPort = probe.bind();
  const probeGot = next(probe, 'Message');
  burst.send({ address: '127.0.0.1', port: pPort, message: 'after' });
  await probeGot;
  eq(calls, 1, 'message listeners after close');

  for (const x of [rx, again, burst, probe]) x.close();
});
