// What the addon adds around the contract on Node: install(wx), keeping the process
// alive as dgram does, listener exceptions, garbage collection.
'use strict';

const test = require('node:test');
const assert = require('node:assert');
const path = require('path');
const { spawnSync } = require('child_process');
const wxudp = require('..');

// Runs `source` in a fresh node with the addon as `wxudp`; returns its status and output.
function node(source, args = []) {
  const prelude = 'const wxudp = require(' + JSON.stringify(path.join(__dirname, '..')) + ');\n';
  return spawnSync(process.execPath, [...args, '-e', prelude + source], { encoding: 'utf8', timeout: 120000 });
}

test('install adds createUDPSocket and answers canIUse for it, deferring the rest', () => {
  const asked = [];
  const wx = { canIUse(s) { asked.push(s); return s === 'getSystemInfoSync'; } };
  assert.strictEqual(wxudp.install(wx), wx);
  assert.strictEqual(wx.createUDPSocket, wxudp.createUDPSocket);
  assert.strictEqual(wx.canIUse('createUDPSocket'), true);
  assert.strictEqual(wx.canIUse('UDPSocket.onMessage.callback.localInfo'), true);
  assert.strictEqual(wx.canIUse('UDPSocket.send.success'), true);
  assert.strictEqual(wx.canIUse('getSystemInfoSync'), true);
  assert.strictEqual(wx.canIUse('UDPSocket.fly'), false);
  assert.deepStrictEqual(asked, ['getSystemInfoSync', 'UDPSocket.fly']);
  const bare = wxudp.install({});
  assert.strictEqual(bare.canIUse('UDPSocket.setTTL'), true);
  assert.strictEqual(bare.canIUse('request'), false);
  assert.throws(() => wxudp.install(null), TypeError);
});

test('install with answers adds the prompts, answered from them, shared with wxudp run', async () => {
  const wx = wxudp.install({}, {
    answers: { showModal: [{ confirm: true, content: 'hunter22' }, 'cancel'], showActionSheet: [1], authorize: { 'scope.userLocation': 'deny' } },
  });
  let r = await wx.showModal({ title: 'Wi-Fi', editable: true });
  assert.deepStrictEqual([r.confirm, r.content], [true, 'hunter22']);
  r = await wx.showModal({ title: 'Sure?' });
  assert.deepStrictEqual([r.errMsg, r.cancel], ['showModal:ok', true]);
  r = await wx.showActionSheet({ itemList: ['a', 'b'] });
  assert.strictEqual(r.tapIndex, 1);
  const e = await wx.authorize({ scope: 'scope.userLocation' }).catch((x) => x);
  assert.strictEqual(e.errMsg, 'authorize:fail auth deny');
  assert.deepStrictEqual((await wx.getSetting()).authSetting, { 'scope.userLocation': false });
  assert.ok(wx.canIUse('showModal.object.editable') && wx.canIUse('createUDPSocket'));
  await new Promise((resolve) => wx.login({ success: (res) => { assert.strictEqual(res.errMsg, 'login:ok'); resolve(); } }));
  assert.throws(() => wxudp.install({}, { answers: { showModal: ['maybe'] } }),
    /install\(wx, \{ answers \}\): showModal\[0\]: "confirm", "cancel"/);
});

test('an open socket keeps the process alive until it is closed', () => {
  // The socket closes itself from a datagram it sends itself after a timer: if the
  // process ended while it was open, 'closed' would never be printed.
  const run = node(`
    const s = wxudp.createUDPSocket();
    const port = s.bind();
    s.onMessage(function (r) { s.close(); });
    s.onClose(function () { console.log('closed'); });
    setTimeout(function () { s.send({ address: '127.0.0.1', port: port, message: 'bye' }); }, 50);
  `);
  assert.strictEqual(run.status, 0, run.stderr);
  assert.strictEqual(run.stdout.trim(), 'closed');
});

test('an open socket alone keeps the process alive; close lets it end', () => {
  // No timer: only the socket keeps the loop going until its own datagram arrives.
  const run = node(`
    const s = wxudp.createUDPSocket();
    const port = s.bind();
    const tx = wxudp.createUDPSocket();
    s.onMessage(function (r) { console.log('got', new TextDecoder().decode(r.message)); s.close(); tx.close(); });
    tx.send({ address: '127.0.0.1', port: port, message: 'ping' });
  `);
  assert.strictEqual(run.status, 0, run.stderr);
  assert.strictEqual(run.stdout.trim(), 'got ping');
});

test('a closed or never bound socket does not keep the process alive', () => {
  const run = node(`
    const a = wxudp.createUDPSocket();
    a.onMessage(function () {});
    const b = wxudp.createUDPSocket();
    b.bind();
    b.close();
    b.onClose(function () { console.log('close delivered'); });
  `);
  assert.strictEqual(run.status, 0, run.stderr);
  assert.strictEqual(run.stdout.trim(), 'close delivered', 'the queued close event still came');
});

test('a listener that throws is an uncaught exception; the other listeners still run', () => {
  const run = node(`
    process.on('uncaughtException', function (e) { console.log('uncaught', e.message); });
    const s = wxudp.createUDPSocket();
    s.onListening(function () { throw new Error('boom'); });
    s.onListening(function () { console.log('second ran'); s.close(); });
    s.bind();
  `);
  assert.strictEqual(run.status, 0, run.stderr);
  assert.deepStrictEqual(run.stdout.trim().split('\n'), ['second ran', 'uncaught boom']);
  const plain = node(`
    const s = wxudp.createUDPSocket();
    s.onListening(function () { s.close(); throw new Error('boom'); });
    s.bind();
  `);
  assert.strictEqual(plain.status, 1, 'Node ends with status 1, as for any uncaught exception');
  assert.match(plain.stderr, /Error: boom/);
});

test('a dropped socket is garbage-collected once it is not open; an open one is not', () => {
  const run = node(`
    const kept = wxudp.createUDPSocket();
    const port = kept.bind();
    kept.onMessage(function (r) { console.log('still listening'); kept.close(); });
    // Thousands of dropped sockets, closed or never bound: their native halves go.
    for (let i = 0; i < 2000; i++) {
      const s = wxudp.createUDPSocket();
      if (i % 2) { s.bind(); s.close(); }
    }
    setTimeout(function () {
      global.gc();
      setTimeout(function () {
        global.gc();
        const tx = wxudp.createUDPSocket();
        tx.send({ address: '127.0.0.1', port: port, message: 'x' });
        tx.close();
      }, 20);
    }, 20);
  `, ['--expose-gc']);
  assert.strictEqual(run.status, 0, run.stderr);
  assert.strictEqual(run.stdout.trim(), 'still listening');
});

test('sockets work in worker threads too, each with its own loop', () => {
  const run = node(`
    const { Worker } = require('worker_threads');
    const path = ${JSON.stringify(path.join(__dirname, '..'))};
    const code = 'const wxudp = require(' + JSON.stringify(path) + ');' +
      'const { parentPort } = require("worker_threads");' +
      'const s = wxudp.createUDPSocket(); const port = s.bind();' +
      's.onMessage(function (r) { parentPort.postMessage(new TextDecoder().decode(r.message)); s.close(); });' +
      's.send({ address: "127.0.0.1", port: port, message: "from a worker" });';
    const results = [];
    let exited = 0;
    for (let i = 0; i < 2; i++) {
      const w = new Worker(code, { eval: true });
      w.on('message', function (m) { results.push(m); });
      w.on('exit', function (c) {
        if (c !== 0) process.exitCode = 1;
        if (++exited === 2) console.log(results.join('|'));
      });
    }
    // The main thread's own socket, at the same time.
    const s = wxudp.createUDPSocket(); const port = s.bind();
    s.onMessage(function () { s.close(); });
    s.send({ address: '127.0.0.1', port: port, message: 'main' });
  `);
  assert.strictEqual(run.status, 0, run.stderr);
  assert.strictEqual(run.stdout.trim(), 'from a worker|from a worker');
});

test('a terminated worker\'s open sockets close: their ports are free again', () => {
  const run = node(`
    const { Worker } = require('worker_threads');
    const path = ${JSON.stringify(path.join(__dirname, '..'))};
    const code = 'const wxudp = require(' + JSON.stringify(path) + ');' +
      'const s = wxudp.createUDPSocket(); require("worker_threads").parentPort.postMessage(s.bind());';
    const w = new Worker(code, { eval: true });
    w.on('message', function (port) {
      w.terminate().then(function () {
        const again = wxudp.createUDPSocket();
        again.onError(function (e) { console.log('error', e.errMsg); });
        console.log(again.bind(port) === port ? 'rebound' : 'still busy');
        again.close();
      });
    });
  `);
  assert.strictEqual(run.status, 0, run.stderr);
  assert.strictEqual(run.stdout.trim(), 'rebound');
});

test('methods detached from a socket throw TypeError: Illegal invocation', () => {
  const s = wxudp.createUDPSocket();
  for (const m of ['bind', 'send', 'write', 'connect', 'setTTL', 'close', 'onMessage', 'offError']) {
    assert.throws(() => s[m].call({}), { name: 'TypeError', message: /Illegal invocation/ });
  }
  s.close();
});
