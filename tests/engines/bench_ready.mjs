// bench_ready.mjs: Ready in Firefox ESR on a first visit (fresh profile) and a repeat visit (same
// profile, after the start-up snapshot was written), for tools/bench_firefox.py. Ready is
// performance.now() when pynn.ready resolved (tests/bench/ready_hook.js, an init script).
//   node bench_ready.mjs <url> <rounds>   -> prints {"first_ms": [...], "repeat_ms": [...], ...}
import { readFileSync } from 'node:fs';
import puppeteer from 'puppeteer-core';

const [url, rounds = '3'] = process.argv.slice(2);
const hook = readFileSync(new URL('../bench/ready_hook.js', import.meta.url), 'utf8');
const PROBES = readFileSync(new URL('./probes.js', import.meta.url), 'utf8');
const snapshotWritten = PROBES.split('// @probe snapshotWritten')[1].split('// @probe ')[0];
const FIREFOX = process.env.PYNN_FIREFOX || '/usr/bin/firefox-esr';

async function readyAt(page) {
  await page.goto(url);
  await page.waitForFunction(() => window.__pynnBenchReadyAt !== undefined || window.__pynnBenchReadyError !== undefined,
    { timeout: 180_000 });
  const error = await page.evaluate(() => window.__pynnBenchReadyError);
  if (error) throw new Error(`the page did not become Ready: ${error}`);
  return page.evaluate(() => window.__pynnBenchReadyAt);
}

const out = { first_ms: [], repeat_ms: [], repeat_snapshot: [] };
for (let i = 0; i < Number(rounds); i++) {
  const browser = await puppeteer.launch({ browser: 'firefox', executablePath: FIREFOX, headless: true });
  try {
    out.browser = await browser.version();
    let page = await browser.newPage();
    await page.evaluateOnNewDocument(hook);
    out.first_ms.push(await readyAt(page));
    await page.evaluate(`(${snapshotWritten.slice(snapshotWritten.indexOf('\n'))})(${JSON.stringify({ folder: 'pynn-snapshots', timeoutMs: 60_000 })})`);
    await page.close();
    page = await browser.newPage();
    await page.evaluateOnNewDocument(hook);
    out.repeat_ms.push(await readyAt(page));
    out.repeat_snapshot.push(await page.evaluate(() => window.pynn.ready.then((r) => r.stages.snapshot)));
  } finally {
    await browser.close();
  }
}
console.log(JSON.stringify(out));
