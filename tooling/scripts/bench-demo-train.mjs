#!/usr/bin/env node
// Seconds per training step in the demo's Train section (headless Chromium) on each backend, against
// `edet bench --mode train` in Node for the same configuration: EfficientDet-Lite0 (seeded weights), batch
// 2 at 128x128 by default, 8 BCCD training images (no validation part). One run each, in turn.
//
//   node tooling/scripts/bench-demo-train.mjs [--steps 12] [--size 128] [--batch 2] [--backends wasm1,wasm,webgl,webgpu]
//
// `wasm1` is wasm on one thread (`?threads=1`), `wasm` one thread per core (the page is served
// cross-origin isolated, as the demo's servers do). The page's step time is the worker's (batch
// preparation excluded), the median of the steps after the first two (compilation, warm-up). Node runs
// `edet bench --mode train --backend wasm` with --workers 1 (one thread) and with one worker per core
// (Node's data-parallel step), --runs = the page's timed steps, --warmup 2.
// Needs /usr/bin/chromium (or EDET_CHROMIUM) and a built trainer (apps/trainer/dist).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

import { median, serve } from './static-server.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const demoRoot = join(root, 'apps/demo');
const demoRequire = createRequire(join(demoRoot, 'package.json'));
const BCCD = join(root, 'apps/trainer/assets/bccd');

const { values } = parseArgs({
  options: {
    steps: { type: 'string', default: '12' },
    size: { type: 'string', default: '128' },
    batch: { type: 'string', default: '2' },
    backends: { type: 'string', default: 'wasm1,wasm,webgl,webgpu' },
  },
});
const WARMUP = 2;
const steps = Number(values.steps);
if (!(steps > WARMUP)) throw new Error(`--steps: expected more than ${WARMUP}, got ${values.steps}`);

// tooling/test/chromium.ts's flags: quiet, offline, and WebGPU on SwiftShader where there is no GPU.
const CHROMIUM_PATH = process.env.EDET_CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--no-sandbox', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic',
  '--enable-unsafe-webgpu', '--use-angle=swiftshader', '--enable-features=Vulkan', '--use-vulkan=swiftshader',
];

const work = mkdtempSync(join(tmpdir(), 'edet-train-bench-'));
/** The first 8 BCCD training images and a COCO file of their annotations. */
function writeSubset() {
  const coco = JSON.parse(readFileSync(join(BCCD, 'instances_train.json'), 'utf8'));
  const images = coco.images.slice(0, 8);
  const ids = new Set(images.map((image) => image.id));
  const json = join(work, 'subset.json');
  writeFileSync(json, JSON.stringify({ ...coco, images, annotations: coco.annotations.filter((a) => ids.has(a.image_id)) }));
  return [json, ...images.map((image) => join(BCCD, 'images', image.file_name))];
}

/** Trains in the page on `backend` and answers the worker's step times (s) and its thread count. */
async function pageRun(browser, url, name) {
  const backend = name === 'wasm1' ? 'wasm' : name;
  const parameters = new URLSearchParams({ backend: 'wasm', sample: 'none', ...(name === 'wasm1' ? { threads: '1' } : {}) });
  const page = await browser.newPage();
  try {
    await page.goto(`${url}?${parameters}`);
    await page.setInputFiles('#train-files', writeSubset());
    await page.fill('#train-validation', '0');
    await page.waitForSelector('#train-summary[data-images="8"]');
    await page.selectOption('#train-backend', backend);
    await page.fill('#train-size', values.size);
    await page.fill('#train-batch', values.batch);
    await page.fill('#train-steps', String(steps));
    await page.click('#train-start');
    await page.waitForFunction(() => ['done', 'error'].includes(document.querySelector('#train-status')?.getAttribute('data-state') ?? ''), null, { timeout: 1_800_000, polling: 500 });
    if ((await page.getAttribute('#train-status', 'data-state')) === 'error') return { error: await page.textContent('#train-error') };
    const seconds = JSON.parse(await page.getAttribute('#train-chart', 'data-seconds'));
    return { seconds, backend: await page.getAttribute('#train-status', 'data-backend'), threads: await page.getAttribute('#train-status', 'data-threads') };
  } finally {
    await page.close();
  }
}

/** `edet bench --mode train` in Node: the median step (s). */
function nodeRun(workers) {
  const args = ['apps/trainer/dist/cli.js', 'bench', '--mode', 'train', '--model', 'tf_efficientdet_lite0', '--size', values.size, '--batch', values.batch];
  args.push('--backend', 'wasm', '--runs', String(steps - WARMUP), '--warmup', String(WARMUP), '--json', ...(workers === undefined ? [] : ['--workers', String(workers)]));
  const report = JSON.parse(execFileSync(process.execPath, args, { cwd: root, encoding: 'utf8' }));
  return { seconds: report.medianMs / 1000, workers: report.workers };
}

const { build } = await import(pathToFileURL(demoRequire.resolve('vite')).href);
const { chromium } = demoRequire('playwright-core');
const outDir = join(work, 'demo');
await build({ configFile: join(demoRoot, 'vite.config.ts'), logLevel: 'warn', build: { outDir, emptyOutDir: true } });
const server = await serve(outDir, { isolated: true });
const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
const rows = [];
try {
  console.log(`Lite0 at ${values.size}x${values.size}, batch ${values.batch}, 8 BCCD images, ${steps} steps (median of the last ${steps - WARMUP})`);
  for (const name of values.backends.split(',')) {
    const result = await pageRun(browser, server.url, name);
    if (result.error !== undefined) {
      console.log(`  Chromium ${name}: failed: ${result.error}`);
      continue;
    }
    const seconds = median(result.seconds.slice(WARMUP));
    rows.push({ where: `Chromium ${result.backend}${result.threads ? ` (${result.threads} thread${result.threads === '1' ? '' : 's'})` : ''}`, seconds, first: result.seconds[0] });
    console.log(`  ${rows.at(-1).where}: ${seconds.toFixed(3)} s/step (first step ${result.seconds[0].toFixed(2)} s)`);
  }
  for (const workers of [1, undefined]) {
    const result = nodeRun(workers);
    rows.push({ where: `Node wasm (${result.workers} worker${result.workers === 1 ? '' : 's'})`, seconds: result.seconds });
    console.log(`  ${rows.at(-1).where}: ${result.seconds.toFixed(3)} s/step`);
  }
  const node = rows.find((row) => row.where.startsWith('Node wasm (1 '));
  console.log('\n| where | s/step | / Node 1 thread |\n| --- | --- | --- |');
  for (const row of rows) console.log(`| ${row.where} | ${row.seconds.toFixed(3)} | ${(row.seconds / node.seconds).toFixed(2)} |`);
} finally {
  await browser.close();
  server.close();
  rmSync(work, { recursive: true, force: true });
}
