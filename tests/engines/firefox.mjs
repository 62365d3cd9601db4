// The app in Debian's Firefox ESR, driven over WebDriver BiDi by puppeteer-core: one browser with
// a fresh profile for the whole file, tests in order (a first visit, then repeat visits).
// Run by `python3 build.py test` (tools/engines.py), which serves site/ and sets:
//   PYNN_BASE_URL       the served site            PYNN_ARTIFACTS  screenshots, logs, timings
//   PYNN_DIGIT_STROKES  DIGIT_STROKES of tests/e2e/conftest.py as JSON
//   PYNN_FIREFOX        the browser (default /usr/bin/firefox-esr)
//   PYNN_LESSON_HASH    the lesson link every engine trains (tools/fit_reference.py)
//   PYNN_PYTHON         the Python that runs tools.fit_reference (the reference run in Pyodide in Node)
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { after, before, test } from 'node:test';
import puppeteer from 'puppeteer-core';

const need = (name) => {
  if (!process.env[name]) throw new Error(`${name} is not set: run these tests with python3 build.py test`);
  return process.env[name];
};
const BASE_URL = need('PYNN_BASE_URL');
const ARTIFACTS = need('PYNN_ARTIFACTS');
const STROKES = JSON.parse(need('PYNN_DIGIT_STROKES'));
const FIREFOX = process.env.PYNN_FIREFOX || '/usr/bin/firefox-esr';
const SNAPSHOT_FOLDER = 'pynn-snapshots';
const LESSON_HASH = need('PYNN_LESSON_HASH');
const PYTHON = need('PYNN_PYTHON');
const REPO = new URL('../..', import.meta.url).pathname;
const READY_MS = 90_000;
const MODEL = 'firefox-model';

// probes.js: "// @probe <name>" then the function's source
const PROBES = Object.fromEntries(readFileSync(new URL('./probes.js', import.meta.url), 'utf8')
  .split(/^\/\/ @probe /m).slice(1).map((part) => [part.slice(0, part.indexOf('\n')).trim(), part]));
const probe = (name, arg = null) => page.evaluate(`(${PROBES[name].slice(PROBES[name].indexOf('\n'))})(${JSON.stringify(arg)})`);

let browser;
let page;
const errors = []; // page errors and console errors, all visits
const times = { engine: 'firefox', ready: [] };

async function visit(how) {
  if (how === 'open') await page.goto(`${BASE_URL}/`);
  else await page.reload();
  const ready = await probe('ready', READY_MS);
  assert.ok(!ready.error, `${ready.error}; the status shows: ${ready.status}`);
  times.ready.push({ visit: how, ms: ready.startupMs, snapshot: ready.snapshot });
  return ready;
}

/** One behaviour: run it, then fail on any page error; a screenshot whatever happened. */
function step(name, fn) {
  test(name, async () => {
    try {
      await fn();
      assert.deepEqual(errors, [], 'the page logged errors');
    } finally {
      await page.screenshot({ path: `${ARTIFACTS}/engines-firefox-${name.replace(/\W+/g, '_')}.png`, fullPage: true });
    }
  });
}

before(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  browser = await puppeteer.launch({ browser: 'firefox', executablePath: FIREFOX, headless: true });
  page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 1000 });
  page.on('pageerror', (err) => errors.push(`page error: ${err.message}`));
  page.on('console', (msg) => { if (msg.type() === 'error') errors.push(`console.error: ${msg.text()}`); });
});

after(async () => {
  times.browser = browser && await browser.version();
  writeFileSync(`${ARTIFACTS}/engines-firefox.json`, JSON.stringify({ ...times, errors }, null, 1));
  if (browser) await browser.close();
});

step('first visit reaches Ready and captures a start-up snapshot', async () => {
  const ready = await visit('open');
  assert.match(ready.status, /Ready: py_nn/);
  assert.equal(ready.snapshot, 'saving'); // captured; pynn.snapshotSaved says when it is written
});

step('digits drawn with the mouse are read as those digits', async () => {
  for (const [digit, strokes] of Object.entries(STROKES)) {
    const box = await probe('padBox');
    for (const stroke of strokes) {
      const at = ([x, y]) => [box.x + x * box.width, box.y + y * box.height];
      await page.mouse.move(...at(stroke[0]));
      await page.mouse.down();
      for (const point of stroke.slice(1)) await page.mouse.move(...at(point), { steps: 2 });
      await page.mouse.up();
    }
    const read = await probe('prediction', { want: digit, timeoutMs: 20_000 });
    assert.ok(read.ink > 1000, `the pad shows no ink after drawing ${digit} (${read.ink} pixels)`);
    assert.equal(read.shown, digit, `drew ${digit}, the page read ${read.shown}`);
  }
});

step('a short fit (1 epoch, 1,000 digits) finishes and shows its accuracy', async () => {
  for (const [id, value] of [['f-epochs', '1'], ['f-samples', '1000']]) {
    await page.click(`#${id}`, { count: 3 });
    await page.type(`#${id}`, value);
  }
  await probe('watchTrain');
  await page.click('#train');
  const done = await probe('trainFinished', 180_000);
  assert.ok(!done.error, JSON.stringify(done));
  assert.notEqual(done.kind, 'error', `training failed: ${done.message}`);
  const percent = Number((done.accuracy.match(/([\d.]+)\s*%/) || [])[1]);
  assert.ok(percent > 60 && percent <= 100, `held-out accuracy shown: "${done.accuracy}"`);
});

step('a repeat visit restores the start-up snapshot', async () => {
  const size = await probe('snapshotWritten', { folder: SNAPSHOT_FOLDER, timeoutMs: 60_000 });
  assert.ok(size > 1e6, `the start-up snapshot was not written (size ${size})`);
  const ready = await visit('reload');
  assert.equal(ready.snapshot, 'restored');
});

step('a saved model is loaded by name after a reload and becomes active', async () => {
  await page.click('#model-name', { count: 3 });
  await page.type('#model-name', MODEL);
  await page.click('#save');
  await page.waitForSelector(`button[aria-label="Load ${MODEL}"]`, { timeout: 15_000 });
  await visit('reload');
  await page.click(`button[aria-label="Load ${MODEL}"]`);
  assert.match(await probe('activeModel', { want: MODEL, timeoutMs: 30_000 }), new RegExp(MODEL));
});

step('a lesson link trains bit for bit the weights Pyodide in Node trains for the same run', async () => {
  await page.goto('about:blank');
  await page.goto(`${BASE_URL}/${LESSON_HASH}`);
  const ready = await probe('ready', READY_MS);
  assert.ok(!ready.error, ready.error);
  await probe('watchTrain');
  await page.click('#train');
  const done = await probe('trainFinished', 180_000);
  assert.ok(!done.error && done.kind !== 'error', JSON.stringify(done));
  const { fingerprint, model } = await probe('lessonModel');
  // tools/fit_reference.py: the run this model's metadata.training records, trained in Pyodide in Node
  const out = execFileSync(PYTHON, ['-m', 'tools.fit_reference'], { cwd: REPO, input: model, encoding: 'utf8', timeout: 300_000 });
  const { config, ...reference } = JSON.parse(out.trim().split('\n').pop());
  assert.equal(config.seed, 7, `the lesson's seed did not reach the run: ${JSON.stringify(config)}`);
  assert.equal(fingerprint, reference.fingerprint, `Firefox trained ${fingerprint}, Pyodide in Node ${reference.fingerprint} (${reference.variant}) for ${JSON.stringify(config)}`);
});
