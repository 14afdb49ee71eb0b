// A CI test of a mini-program project, the node:test way: start a fake device on
// loopback, run the project with `wxudp run --report`, assert on the JSON report.
//
//   node --test examples/report.test.mjs           (wxudp on the PATH, or WXUDP=/path/to/wxudp)
//
// The same pattern works from Jest: spawn the command, read the report.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const wxudp = process.env.WXUDP || 'wxudp';

// A device that answers the discovery probe with its id and name.
function startDevice() {
  return new Promise((resolve) => {
    const sock = createSocket('udp4');
    sock.on('message', (msg, rinfo) => {
      sock.send(JSON.stringify({ id: 'lamp-1', name: 'Desk lamp' }), rinfo.port, rinfo.address);
    });
    sock.bind(0, '0.0.0.0', () => resolve(sock));
  });
}

test('the project finds the device and shows it on its pages', async () => {
  const device = await startDevice();
  const dir = mkdtempSync(join(tmpdir(), 'wxudp-report-'));
  const report = join(dir, 'report.json');
  try {
    const port = device.address().port;
    // Asynchronous, so that the device (in this process) answers while wxudp runs.
    const child = spawn(wxudp, [
      'run', join(here, 'project'),
      '--page', `pages/index/index?port=${port}&ms=500`,
      '--report', report,
      '--timeout', '30',
    ], { stdio: ['ignore', 'pipe', 'inherit'] });
    const status = await new Promise((resolve) => child.on('close', resolve));
    assert.equal(status, 0);

    const r = JSON.parse(readFileSync(report, 'utf8'));
    assert.equal(r.reason, 'finished');
    const [index, detail] = r.pages;
    assert.equal(index.route, 'pages/index/index');
    assert.deepEqual(index.data.devices.map((d) => d.name), ['Desk lamp']);
    assert.equal(index.data.status, 'found 1');
    assert.equal(detail.route, 'pages/device/device');
    assert.equal(detail.data.device.id, 'lamp-1');
    assert.equal(r.sockets[0].sent, 1);
    assert.equal(r.sockets[0].received, 1);
    assert.deepEqual(r.sockets[0].errors, {});
  } finally {
    device.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

// spawnSync is enough when nothing in this process must answer meanwhile.
test('a folder that is not a project fails with status 1 and still writes its report', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wxudp-report-'));
  try {
    const report = join(dir, 'report.json');
    const run = spawnSync(wxudp, ['run', dir, '--report', report, '--timeout', '30'], { encoding: 'utf8' });
    assert.equal(run.status, 1);
    assert.match(run.stderr, /neither a mini program/);
    assert.equal(JSON.parse(readFileSync(report, 'utf8')).reason, 'error');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
