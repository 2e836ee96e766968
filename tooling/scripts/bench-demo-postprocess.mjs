#!/usr/bin/env node
// Times the demo worker's post-processing (the `postprocess` column of the page's timings: the candidates
// of one image, threshold 0.01, at most 5,000) in headless Chromium on the WASM backend, for this build of
// the demo and, with --baseline, another build of it, their runs interleaved in one browser.
//
//   node tooling/scripts/bench-demo-postprocess.mjs [--runs 15] [--model tf_efficientdet_d0] [--baseline DIR]
//        [--stage postprocess|network] [--isolated]
//
// `--stage network` times the network column instead; `--isolated` serves the pages cross-origin isolated
// (COOP/COEP, as the demo's own servers do), so wasm runs threaded, one thread per core, and the line names
// the thread count each page reports.
// The demo is built from this checkout's sources into a temporary folder (`vite build`); DIR is a folder
// another checkout built the same way (`pnpm --filter @edet/demo exec vite build --outDir DIR`). The
// default model is an untrained D0 picked by name (90 classes at 512: every anchor scores just above 0.01,
// so 5,000 candidates come back); `--model bundled` times the bundled BCCD model (3 classes). Each run opens
// a sample image (two alternate, so every click is a new run); the first run of each page is the warm-up and
// is left out. With --baseline, the line reports both medians, their ratio, and whether both pages listed
// the same detections (scores and boxes to 1e-3) after every run (the score slider at 0.01, its lowest, so that rows show).
// Needs /usr/bin/chromium (or EDET_CHROMIUM).
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

import { median, serve } from './static-server.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const demoRoot = join(root, 'apps/demo');
const demoRequire = createRequire(join(demoRoot, 'package.json'));

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '15' },
    model: { type: 'string', default: 'tf_efficientdet_d0' },
    baseline: { type: 'string' },
    stage: { type: 'string', default: 'postprocess' },
    isolated: { type: 'boolean', default: false },
  },
});
const runs = Number(values.runs);
// The columns of the timings table's "last run" row: stage, preprocess, network, postprocess, total.
const COLUMNS = { network: 3, postprocess: 4 };
const column = COLUMNS[values.stage];
if (column === undefined) throw new Error(`--stage must be network or postprocess, got ${values.stage}`);
const SAMPLES = ['000000000136.jpg', 'BloodImage_00004.jpg'];

const { build } = await import(pathToFileURL(demoRequire.resolve('vite')).href);
const { chromium } = demoRequire('playwright-core');
// tooling/test/chromium.ts's quiet flags (WASM needs no GPU flags).
const CHROMIUM_PATH = process.env.EDET_CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic'];

const currentDir = mkdtempSync(join(tmpdir(), 'edet-demo-bench-'));
await build({ configFile: join(demoRoot, 'vite.config.ts'), logLevel: 'warn', build: { outDir: currentDir, emptyOutDir: true } });
const builds = [['current', currentDir]];
if (values.baseline !== undefined) builds.unshift(['baseline', resolve(values.baseline)]);

const servers = [];
const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: [...CHROMIUM_ARGS], headless: true });
try {
  const pages = [];
  for (const [name, folder] of builds) {
    const server = await serve(folder, { isolated: values.isolated });
    servers.push(server);
    const parameters = new URLSearchParams({ backend: 'wasm', sample: 'none', score: '0.01', ...(values.model === 'bundled' ? {} : { model: values.model }) });
    const page = await browser.newPage();
    page.on('pageerror', (error) => console.error(`${name}: ${error.message}`));
    await page.goto(`${server.url}?${parameters}`);
    await page.waitForFunction(() => document.querySelector('#active-backend')?.getAttribute('data-backend') === 'wasm', null, { timeout: 120_000 });
    await page.waitForFunction(() => document.querySelector('#status')?.getAttribute('data-state') === 'ready', null, { timeout: 300_000 });
    pages.push({ name, page, times: [], rows: [] });
  }
  console.log(`Chromium (wasm${values.isolated ? ', cross-origin isolated' : ''}), model ${values.model}: the worker's ${values.stage}, median of ${runs} runs after 1 warm-up`);
  for (let run = 0; run <= runs; run++) {
    for (const entry of pages) {
      const { page } = entry;
      const before = Number(await page.getAttribute('#timings', 'data-runs'));
      await page.click(`button.sample-button[data-sample="${SAMPLES[run % SAMPLES.length]}"]`);
      await page.waitForFunction(
        (count) => Number(document.querySelector('#timings')?.getAttribute('data-runs')) > count && document.querySelector('#status')?.getAttribute('data-state') !== 'busy',
        before,
        { timeout: 300_000, polling: 50 },
      );
      const text = await page.$eval(`#timings tbody tr:nth-child(2) td:nth-child(${column})`, (cell) => cell.textContent ?? '');
      const rows = await page.$$eval('[data-testid="detection-row"]', (list) => list.map((row) => JSON.stringify(row.dataset)).join('\n'));
      entry.rows.push(rows);
      if (run > 0) entry.times.push(Number.parseFloat(text));
    }
  }
  // The thread count the page's timings name (wasm, after a run).
  for (const entry of pages) entry.threads = await entry.page.$eval('#timings', (table) => table.getAttribute('data-threads') ?? '1');
  const parts = pages.map(({ name, times, threads }) => `${name} ${median(times).toFixed(1)} ms (${threads} thread${threads === '1' ? '' : 's'})`);
  if (pages.length === 2) {
    parts.push(`${(median(pages[0].times) / median(pages[1].times)).toFixed(1)}x`);
    // Scores and box corners within 1e-3 (builds whose kernels round differently list the same detections
    // with last-digit differences), everything else exactly.
    const close = (a, b) => a === b || (Number.isFinite(Number(a)) && Number.isFinite(Number(b)) && Math.abs(Number(a) - Number(b)) <= 1e-3);
    const sameRows = (a, b) => {
      const [listA, listB] = [a, b].map((rows) => (rows === '' ? [] : rows.split('\n').map((row) => JSON.parse(row))));
      return listA.length === listB.length && listA.every((row, i) => Object.keys({ ...row, ...listB[i] }).every((key) => close(row[key], listB[i][key])));
    };
    const same = pages[0].rows.every((rows, run) => sameRows(rows, pages[1].rows[run]));
    const rows = pages[1].rows.reduce((sum, list) => sum + (list === '' ? 0 : list.split('\n').length), 0);
    parts.push(`${same ? 'same detections (to 1e-3)' : 'DIFFERENT detections'} (${rows} rows compared)`);
  }
  console.log(`  ${values.stage}: ${parts.join(', ')}`);
  for (const { name, times } of pages) console.log(`  ${name} runs: ${times.map((ms) => ms.toFixed(1)).join(' ')}`);
} finally {
  await browser.close();
  for (const server of servers) server.close();
  rmSync(currentDir, { recursive: true, force: true });
}
