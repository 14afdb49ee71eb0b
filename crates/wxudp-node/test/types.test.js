// index.d.ts: the socket is WeChat's UDPSocket type (miniprogram-api-typings); tsc checks
// a usage file against it.
'use strict';

const test = require('node:test');
const assert = require('node:assert');
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');

test('index.d.ts type-checks a usage of the package with WeChat\'s types', () => {
  const tsc = require.resolve('typescript/bin/tsc');
  const run = spawnSync(process.execPath, [tsc, '-p', path.join(__dirname, 'types')], { encoding: 'utf8' });
  assert.strictEqual(run.status, 0, run.stdout + run.stderr);
});

// The method names of `interface NAME { ... }` in a .d.ts text (comments stripped).
function members(dts, name) {
  const start = dts.indexOf('interface ' + name + ' {');
  assert.ok(start >= 0, 'no interface ' + name);
  const body = dts.slice(start, dts.indexOf('\n    }', start)).replace(/\/\*[\s\S]*?\*\//g, '');
  const found = new Set();
  for (const line of body.split('\n').slice(1)) {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*[(<]/.exec(line);
    if (m) found.add(m[1]);
  }
  return [...found].sort();
}

test('a socket has every member WeChat\'s typings declare for UDPSocket', () => {
  const file = require.resolve('miniprogram-api-typings/types/wx/lib.wx.api.d.ts');
  const declared = members(fs.readFileSync(file, 'utf8'), 'UDPSocket');
  for (const m of ['bind', 'send', 'connect', 'write', 'setTTL', 'close', 'onMessage', 'offMessage']) {
    assert.ok(declared.includes(m), 'the typings lack ' + m + ': ' + declared.join(', '));
  }
  const socket = require('..').createUDPSocket();
  const missing = declared.filter((m) => typeof socket[m] !== 'function');
  socket.close();
  assert.deepStrictEqual(missing, []);
});

