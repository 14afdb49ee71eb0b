// Helpers for the JS fixtures. A fixture passes when `run` finishes its async body:
// `done()` then records success in wx storage, which the Rust harness checks, so a
// fixture that stops early (or never reaches its checks) fails.
const WAIT_MS = 10000;

// Every socket the fixture makes, so that a failure can close them and end the run.
const sockets = [];
const create = wx.createUDPSocket;
wx.createUDPSocket = function () {
  const s = create.apply(wx, arguments);
  sockets.push(s);
  return s;
};

function show(v) {
  try { return JSON.stringify(v); } catch (e) { return String(v); }
}

function assert(cond, msg) {
  if (!cond) throw new Error('assertion failed: ' + msg);
}

function eq(actual, expected, msg) {
  const a = show(actual);
  const b = show(expected);
  if (a !== b) throw new Error((msg || 'eq') + ': expected ' + b + ', got ' + a);
}

// The next `kind` event of `socket` ('Message', 'Error', 'Listening', 'Close').
function next(socket, kind, ms) {
  return new Promise(function (resolve, reject) {
    const timer = setTimeout(function () {
      socket['off' + kind](listener);
      reject(new Error('no ' + kind + ' event within ' + (ms || WAIT_MS) + ' ms'));
    }, ms || WAIT_MS);
    function listener(res) {
      clearTimeout(timer);
      socket['off' + kind](listener);
      resolve(res);
    }
    socket['on' + kind](listener);
  });
}

// Collects every `kind` event of `socket` into an array.
function collect(socket, kind) {
  const got = [];
  socket['on' + kind](function (res) { got.push(res); });
  return got;
}

// Resolves once `cond()` is true, polling every 5 ms; rejects after WAIT_MS.
function until(cond, what) {
  return new Promise(function (resolve, reject) {
    const start = Date.now();
    (function poll() {
      if (cond()) return resolve();
      if (Date.now() - start > WAIT_MS) return reject(new Error('timed out waiting for ' + what));
      setTimeout(poll, 5);
    })();
  });
}

function sleep(ms) {
  return new Promise(function (resolve) { setTimeout(resolve, ms); });
}

function text(buffer) {
  return new TextDecoder('utf-8').decode(buffer);
}

function bytes(buffer) {
  return Array.from(new Uint8Array(buffer));
}

function run(body) {
  Promise.resolve().then(body).then(function () {
    wx.setStorageSync('__done__', true);
  }, function (e) {
    console.error('FIXTURE FAILED: ' + (e && e.stack ? e.message + '\n' + e.stack : e));
    sockets.forEach(function (s) { s.close(); });
    setTimeout(function () { throw e; }, 0);
  });
}

module.exports = { assert, eq, next, collect, until, sleep, text, bytes, run, WAIT_MS };
