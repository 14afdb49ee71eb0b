// The package installs from a local path into a fresh folder and works there: as a
// folder (`npm install /path/to/crates/wxudp-node`, a link) and as the tarball
// `npm pack` makes of it (the files a registry would serve).
'use strict';

const test = require('node:test');
const assert = require('node:assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');

const pkg = path.join(__dirname, '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function run(cmd, args, cwd) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: 300000 });
  assert.strictEqual(r.status, 0, cmd + ' ' + args.join(' ') + ' failed:\n' + r.stdout + r.stderr);
  return r.stdout;
}

// A script that uses the installed package: a datagram to itself, through install(wx).
const USE = `
const wx = require('wxudp').install({});
if (!wx.canIUse('createUDPSocket')) throw new Error('canIUse');
const s = wx.createUDPSocket();
const port = s.bind();
s.onMessage(function (res) {
  console.log(new TextDecoder().decode(res.message), res.remoteInfo.family, res.message instanceof ArrayBuffer);
  s.close();
});
s.send({ address: '127.0.0.1', port: port, message: 'installed' });
`;

function fresh(t) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wxudp-install-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'fresh', private: true }));
  fs.writeFileSync(path.join(dir, 'use.js'), USE);
  return dir;
}

const quiet = ['--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'];

test('npm install PATH into a fresh folder', (t) => {
  const dir = fresh(t);
  run(npm, ['install', ...quiet, pkg], dir);
  assert.strictEqual(run(process.execPath, ['use.js'], dir).trim(), 'installed IPv4 true');
});

test('npm install of the packed tarball into a fresh folder', (t) => {
  const dir = fresh(t);
  const packed = JSON.parse(run(npm, ['pack', '--json', '--pack-destination', dir, pkg], dir));
  const files = packed[0].files.map((f) => f.path).sort();
  assert.ok(files.includes('index.js') && files.includes('index.d.ts'), files.join(', '));
  assert.ok(files.some((f) => f.endsWith('.node')), 'the addon is in the package: ' + files.join(', '));
  run(npm, ['install', ...quiet, path.join(dir, packed[0].filename)], dir);
  assert.strictEqual(run(process.execPath, ['use.js'], dir).trim(), 'installed IPv4 true');
});
