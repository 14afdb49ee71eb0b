// Opens a flow view (wxudp run --report FILE.html) in the system's Chromium, headless,
// and checks it as a user would see it: no console errors, an arrow per datagram of
// the embedded report (every one for a small run; for a large one, the rows in view of
// a virtualised list), and a click on an arrow shows that datagram's bytes.
//
//   node check.js REPORT.html [--screenshot OUT.png]
//
// Prints one JSON line ({datagrams, arrows, loadMs, ...}); exits 1 with the reason when
// a check fails. CHROMIUM names the browser (default: chromium on PATH).
'use strict';
const path = require('path');
const fs = require('fs');
const puppeteer = require('puppeteer-core');

function fail(message) {
  console.error('flow view: ' + message);
  process.exit(1);
}

function browserPath() {
  if (process.env.CHROMIUM) return process.env.CHROMIUM;
  for (const dir of (process.env.PATH || '').split(path.delimiter)) {
    for (const name of ['chromium', 'chromium-browser', 'google-chrome']) {
      const p = path.join(dir, name);
      if (fs.existsSync(p)) return p;
    }
  }
  return fail('no Chromium on PATH (apt-get install chromium), or set CHROMIUM');
}

function hexLine(bytes) {
  let hex = '';
  for (let i = 0; i < Math.min(16, bytes.length); i++) {
    hex += bytes[i].toString(16).padStart(2, '0') + (i === 7 ? '  ' : ' ');
  }
  return hex.trim();
}

(async function main() {
  const args = process.argv.slice(2);
  const file = args[0];
  if (!file) fail('usage: node check.js REPORT.html [--screenshot OUT.png]');
  const shot = args.indexOf('--screenshot') >= 0 ? args[args.indexOf('--screenshot') + 1] : null;

  const html = fs.readFileSync(file, 'utf8');
  const m = html.match(/<script type="application\/json" id="wxudp-run">([\s\S]*?)<\/script>/);
  if (!m) fail('no embedded report (script#wxudp-run)');
  const run = JSON.parse(m[1]);
  const datagrams = (run.timeline.events || []).filter((e) => e.kind === 'datagram');

  const browser = await puppeteer.launch({
    executablePath: browserPath(),
    headless: true,
    // Root in CI: Chromium's sandbox needs a user namespace it may not get there.
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run'],
  });
  const errors = [];
  try {
    const page = await browser.newPage();
    await page.setViewport({ width: 1600, height: 900 });
    page.on('console', (msg) => { if (msg.type() === 'error') errors.push(msg.text()); });
    page.on('pageerror', (err) => errors.push(String(err)));
    // No network: a request anywhere but the file itself is a failure.
    await page.setRequestInterception(true);
    page.on('request', (req) => {
      if (req.url().startsWith('file:') || req.url().startsWith('data:')) req.continue();
      else { errors.push('requested ' + req.url()); req.abort(); }
    });
    const started = Date.now();
    await page.goto('file://' + path.resolve(file), { waitUntil: 'load', timeout: 120000 });
    await page.waitForSelector('body[data-ready="true"]', { timeout: 120000 });
    const loadMs = Date.now() - started;

    const arrows = await page.$$eval('[data-datagram]', (els) => els.length);
    const virtualised = datagrams.length > 3000;
    if (!virtualised && arrows !== datagrams.length) {
      fail(arrows + ' arrows for ' + datagrams.length + ' datagrams');
    }
    if (virtualised && !(arrows > 0 && arrows < datagrams.length)) {
      fail('a large run should show the rows in view only: ' + arrows + ' arrows of ' + datagrams.length);
    }
    // Every arrow names a datagram of the report, once.
    const indices = await page.$$eval('[data-datagram]', (els) => els.map((e) => Number(e.getAttribute('data-datagram'))));
    if (new Set(indices).size !== indices.length || indices.some((i) => !(i >= 0 && i < datagrams.length))) {
      fail('arrows do not name distinct datagrams: ' + indices.slice(0, 10));
    }

    let clicked = null;
    if (datagrams.length) {
      const first = indices.length ? Math.min.apply(null, indices) : 0;
      await page.click('[data-datagram="' + first + '"] rect.hit');
      await page.waitForSelector('#detail-title', { timeout: 10000 });
      const hex = await page.$eval('#detail pre.hex', (el) => el.textContent);
      const bytes = Buffer.from(datagrams[first].base64, 'base64');
      const want = hexLine(bytes);
      if (bytes.length && hex.indexOf(want) < 0) fail('the detail of datagram ' + first + ' does not show its bytes ' + want + ':\n' + hex);
      const utf8 = await page.$eval('#detail pre.utf8', (el) => el.textContent);
      if (utf8 !== new TextDecoder().decode(bytes)) fail('the UTF-8 view of datagram ' + first + ' is ' + JSON.stringify(utf8));
      clicked = { datagram: first, hex: hex.split('\n')[0] };
    }
    const lanes = await page.$$eval('.lane-title', (els) => els.map((e) => e.firstChild.textContent));
    if (shot) await page.screenshot({ path: shot });
    if (errors.length) fail('console errors: ' + errors.join(' | '));
    console.log(JSON.stringify({ datagrams: datagrams.length, arrows: arrows, loadMs: loadMs, clicked: clicked, lanes: lanes }));
  } finally {
    await browser.close();
  }
})().catch((e) => fail(e && e.stack || String(e)));
