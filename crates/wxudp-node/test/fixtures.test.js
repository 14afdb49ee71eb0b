// One conformance suite, two hosts: the JS runtime's fixtures of the UDP contract
// (crates/wxudp-js/tests/js/udp*.js, with their harness.js) run unchanged under Node,
// through the addon, each in a process of its own (test/host.js gives it its `wx`).
'use strict';

const test = require('node:test');
const assert = require('node:assert');
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

const dir = path.join(__dirname, '../../wxudp-js/tests/js');
const fixtures = fs.readdirSync(dir).filter((f) => /^udp.*\.js$/.test(f)).sort();

test('the UDP fixtures are there', () => {
  assert.ok(fixtures.length >= 7, 'found ' + fixtures.join(', '));
});

for (const name of fixtures) {
  test(name, () => {
    const run = spawnSync(process.execPath, [path.join(__dirname, 'host.js'), path.join(dir, name)], {
      encoding: 'utf8',
      // Generous: a fixture takes well under a second; this only ends a hung one.
      timeout: 120000,
    });
    assert.strictEqual(run.status, 0, name + ' failed:\n' + run.stdout + run.stderr);
  });
}
