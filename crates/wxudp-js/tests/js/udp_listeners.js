// on/off rules: off() all, off(fn) by identity, snapshot dispatch (docs/CONTRACT.md §3).
const { assert, eq, next, collect, until, run, text } = require('./harness.js');

run(async function () {
  const rx = wx.createUDPSocket();
  const port = rx.bind();
  const tx = wx.createUDPSocket();
  const log = [];
  function a(res) { log.push('a' + text(res.message)); }
  function b(res) { log.push('b' + text(res.message)); }
  rx.onMessage(a);
  rx.onMessage(b);
  rx.onMessage(a);
  // The harness' own listener, registered last, marks the end of each dispatch.
  async function send(m) {
    const p = next(rx, 'Message');
    tx.send({ address: '127.0.0.1', port: port, message: m });
    await p;
  }
  await send('1');
  eq(log, ['a1', 'b1', 'a1'], 'all three');

  rx.offMessage(function () {}); // a fresh function removes nothing
  await send('2');
  eq(log.slice(3), ['a2', 'b2', 'a2'], 'fresh function removed nothing');

  rx.offMessage(a); // removes every registration of a
  await send('3');
  eq(log.slice(6), ['b3'], 'off(a)');

  rx.offMessage(); // removes all
  const before = log.length;
  await send('4'); // next() registers its own listener after the off()
  eq(log.length, before, 'off() removed everything');

  // Snapshot: a listener that adds and removes listeners affects the next event only.
  const snap = [];
  function victim(res) { snap.push('victim' + text(res.message)); }
  function late(res) { snap.push('late' + text(res.message)); }
  let first = true;
  rx.onMessage(function adder(res) {
    snap.push('adder' + text(res.message));
    if (first) {
      first = false;
      rx.onMessage(late);
      rx.offMessage(victim);
    }
  });
  rx.onMessage(victim);
  await send('5');
  await send('6');
  eq(snap, ['adder5', 'victim5', 'adder6', 'late6'], 'snapshot dispatch');

  // The same for the other events: offError() / offClose() / offListening().
  const s = wx.createUDPSocket();
  let heard = 0;
  const f = () => heard++;
  s.onListening(f); s.offListening(f);
  s.onError(f); s.onError(f); s.offError();
  s.onClose(f); s.offClose(f); s.onClose(f);
  s.bind();
  s.send({ address: '127.0.0.1', port: 0, message: 'x' });
  const closed = next(s, 'Close');
  s.close();
  await closed;
  eq(heard, 1, 'only the re-added close listener ran');

  for (const x of [rx, tx]) x.close();
});
