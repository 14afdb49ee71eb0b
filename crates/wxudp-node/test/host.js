// Runs one of the JS runtime's fixtures (crates/wxudp-js/tests/js) under Node, through
// the addon: the fixture gets the `wx` it uses there (storage in memory, canIUse, and the
// addon's createUDPSocket) and passes when its harness records `done()` in storage before
// the process ends by itself. Usage: node test/host.js FIXTURE.js
'use strict';

const path = require('path');
const wxudp = require('..');

const fixture = process.argv[2];
if (!fixture) {
  console.error('usage: node test/host.js FIXTURE.js');
  process.exit(2);
}

// wx storage in memory, as the fixtures use it (the harness records done() there).
const storage = new Map();
const wx = {
  setStorageSync(key, value) { storage.set(String(key), JSON.stringify(value)); },
  getStorageSync(key) {
    const v = storage.get(String(key));
    return v === undefined ? '' : JSON.parse(v);
  },
  removeStorageSync(key) { storage.delete(String(key)); },
  clearStorageSync() { storage.clear(); },
};
globalThis.wx = wxudp.install(wx);

// The process ends by itself once every socket is closed and no timer is left: the
// fixture passed if its harness got to done().
process.on('exit', function (code) {
  if (code === 0 && wx.getStorageSync('__done__') !== true) {
    console.error('FIXTURE DID NOT FINISH: ' + fixture + ' ended without reaching done()');
    process.exitCode = 1;
  }
});

require(path.resolve(fixture));
