// index.d.ts: the socket is WeChat's UDPSocket type (miniprogram-api-typings); tsc checks
// a usage file against it.
'use strict';

const test = require('node:test');
const assert = require('node:assert');
const path = require('path');
const { spawnSync } = require('child_process');

test('index.d.ts type-checks a usage of the package with WeChat\'s types', () => {
  const tsc = require.resolve('typescript/bin/tsc');
  const run = spawnSync(process.execPath, [tsc, '-p', path.join(__dirname, 'types')], { encoding: 'utf8' });
  assert.strictEqual(run.status, 0, run.stdout + run.stderr);
});
