// CommonJS: require resolved from the requiring file, evaluated once, exports and
// module.exports, JSON, cycles, bare mini-program paths.
const { assert, eq, run } = require('./harness.js');

run(async function () {
  const counter = require('./lib/counter.js');
  const again = require('./lib/counter');
  assert(counter === again, 'a module is evaluated once');
  eq(counter.next(), 1, 'state');
  eq(require('./lib/counter.js').next(), 2, 'same instance');
  eq(counter.loads(), 1, 'loaded once');

  const udp = require('lib/udp_helper.js'); // bare path, from the main script's folder
  eq(typeof udp.makeSocket, 'function', 'exports.x form');
  const s = udp.makeSocket();
  assert(s.bind() > 0, 'a socket made inside a module');
  s.close();

  eq(require('./lib/data.json'), { name: 'esp8266', port: 4210 }, 'JSON module');
  eq(require('./lib/a.js').fromB, 'b saw a partial a', 'cycle');
  assert(/lib\/counter\.js$/.test(counter.filename), '__filename ' + counter.filename);
  assert(/lib$/.test(counter.dirname), '__dirname');

  let err = null;
  try { require('./lib/missing.js'); } catch (e) { err = e; }
  assert(err && /Cannot find module '.\/lib\/missing.js'/.test(err.message), 'missing module: ' + err);
  // Nothing outside the package loads, and the error is the missing-module one: it
  // names the candidates tried inside the package (a leading '/' is the requiring
  // file's folder, as in the devtools), never a file outside.
  for (const request of ['/etc/passwd', '/etc/shadow', '/proc/kmsg', '../../../../../../../../etc/passwd',
    '../../../../../../../../proc/self/environ', 'lib/../../../../../../../../../etc/hostname', __filename,
    './lib/missing.js', '/definitely/missing.js']) {
    const prefix = "Cannot find module '" + request + "' from modules.js (tried: ";
    err = null;
    try { require(request); } catch (e) { err = e; }
    assert(err && err.message.indexOf(prefix) === 0, 'require ' + request + ': ' + (err && err.message));
    eq(err.code, 'MODULE_NOT_FOUND', 'code');
    const tried = err.message.slice(prefix.length);
    assert(tried.indexOf('..') < 0 && !/(^|, )\//.test(tried), 'tried inside the package only: ' + tried);
    const message = err.message;
    err = null;
    try { require.resolve(request); } catch (e) { err = e; }
    eq(err && err.message, message, 'require.resolve ' + request);
  }
  eq(require.resolve('./lib/counter'), counter.filename, 'require.resolve inside the package');
  err = null;
  try { require('./lib/throws.js'); } catch (e) { err = e; }
  assert(err && err.message === 'thrown at load', 'a module that throws');
  err = null;
  try { require('./lib/throws.js'); } catch (e) { err = e; }
  assert(err && err.message === 'thrown at load', 'is not cached');
});
