import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COCO90_LABELS, EfficientDet, presetConfig } from '@edet/model';

import { MAX_WASM_THREADS, UNTRAINED_PRESET } from '../src/config.js';

import { CHROMIUM_ARGS, CHROMIUM_PATH, QUIET_FLAGS, assertChromium } from '../../../tooling/test/chromium.js';
import { artifactPath } from './support/artifacts.js';
import { sharedDemoBuild } from './support/build-demo.js';
import { compareDetections } from './support/compare-detections.js';
import { contrastWeights } from './support/contrast-weights.js';
import { activeBackend, openDemo, pageDetections, runCount, setSlider, uploadWeights, waitForRuns } from './support/demo-page.js';
import { bundledModel, decodeSample, nodeDetections } from './support/node-reference.js';
import { type StaticServer, serveDirectory } from './support/static-server.js';

// The page's behaviour, on WASM (the fast backend): the bundled BCCD model (what it shows holds for any
// trained weights: labels, well-formed rows, Node's model.detect), the untrained stand-in when the model is
// not deployed, a model picked by name (Lite0), sliders that refilter without a network run, refused weights files, backend fallback and
// the webcam. The servers send the cross-origin isolation headers (one does not), so wasm runs on one
// thread per core; Node's reference runs on one thread, and ?threads=1 forces one in the page.

const SAMPLE = '000000000136.jpg';
const BCCD_SAMPLE = 'BloodImage_00000.jpg';
const WASM_RUN_MS = 30_000;

/** Whether the page is cross-origin isolated, and the backend and wasm threads its timings name. */
async function computeInfo(page: Page): Promise<{ isolated: boolean; backend: string | null; threads: string | null; caption: string | null }> {
  return {
    isolated: await page.evaluate(() => crossOriginIsolated),
    backend: await page.getAttribute('#timings', 'data-backend'),
    threads: await page.getAttribute('#timings', 'data-threads'),
    caption: await page.textContent('#timings caption'),
  };
}

let browser: Browser | undefined;
/** The built demo as deployed, bundled model included. */
let server: StaticServer | undefined;
/** The same build without its `models/` folder: the page falls back to the seeded stand-in. */
let standInServer: StaticServer | undefined;
/** The same build from a host that sends no cross-origin isolation headers: wasm runs on one thread. */
let plainServer: StaticServer | undefined;

beforeAll(async () => {
  assertChromium();
  const outDir = await sharedDemoBuild();
  server = await serveDirectory(outDir);
  standInServer = await serveDirectory(outDir, { hide: ['models/'] });
  plainServer = await serveDirectory(outDir, { isolated: false });
  browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: [...CHROMIUM_ARGS], headless: true });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await standInServer?.close();
  await plainServer?.close();
});

describe('the demo page', () => {
  it('runs the bundled BCCD model on the first sample, with its labels, as model.detect does in Node', async () => {
    const { manifest, weights } = await bundledModel();
    expect(manifest.labels).toEqual(['RBC', 'WBC', 'Platelets']);
    // The default sliders (score 0.2, IoU 0.2): whatever the trained weights find, the page must show the same.
    const [reference] = await nodeDetections(weights, await decodeSample(BCCD_SAMPLE), [{ scoreThreshold: 0.2, iouThreshold: 0.2, maxDetections: 100 }], {
      compoundCoef: manifest.compoundCoef,
      numClasses: manifest.labels.length,
      inputSize: manifest.inputSize,
    });
    const { page, errors } = await openDemo(browser!, server!.url, { backend: 'wasm' });
    try {
      await waitForRuns(page, 1, WASM_RUN_MS);
      expect(await page.getAttribute('#result-canvas', 'data-image')).toBe(BCCD_SAMPLE);
      expect(await page.textContent('#model-name')).toBe(`${manifest.name}: D0, 3 classes, ${manifest.inputSize}×${manifest.inputSize} input`);
      expect(await page.isHidden('#untrained-notice')).toBe(true);
      // It says plainly what the model knows, so its boxes on a photo of anything else are not taken for real.
      expect(await page.textContent('#scope-notice')).toContain('knows only RBC, WBC and Platelets');
      expect(await page.isVisible('#scope-notice')).toBe(true);
      // Cross-origin isolated: one wasm thread per core (2 on CI), and the same detections as Node's one thread.
      const cores = await page.evaluate(() => navigator.hardwareConcurrency);
      const threads = Math.min(cores, MAX_WASM_THREADS);
      const info = await computeInfo(page);
      expect(info).toMatchObject({ isolated: true, backend: 'wasm', threads: String(threads) });
      expect(info.caption).toMatch(new RegExp(`^network [\\d.]+ ms \\(wasm, ${threads} threads?\\)$`));
      const detections = await pageDetections(page);
      const comparison = compareDetections(detections, reference, { box: 1e-3, score: 1e-6 }, 0.2);
      expect(comparison.problems).toEqual([]);
      for (const detection of detections) expect(detection.label).toBe(manifest.labels[detection.classId]);
      await page.screenshot({ path: artifactPath('bundled-wasm.png'), fullPage: true });

      // Down to the lowest score the slider allows, every row is still a well-formed BCCD detection.
      await setSlider(page, 'score-threshold', 0.01);
      const all = await pageDetections(page);
      expect(all.length).toBeGreaterThan(0);
      expect(all.length).toBeLessThanOrEqual(100);
      for (const detection of all) {
        expect(manifest.labels).toContain(detection.label);
        expect(detection.score).toBeGreaterThan(0.01);
        expect(detection.score).toBeLessThanOrEqual(1);
        const [x1, y1, x2, y2] = detection.box;
        // As model.detect reports them: inside the letterboxed square, which reaches below a 640x480 image.
        expect(0 <= x1 && x1 < x2 && x2 <= 640 && 0 <= y1 && y1 < y2 && y2 <= 640, `box ${detection.box}`).toBe(true);
      }
      expect(await runCount(page)).toBe(1);
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  }, 60_000);

  it('falls back to the untrained stand-in when the bundled model is not deployed, and says so', async () => {
    const { page, errors } = await openDemo(browser!, standInServer!.url, { backend: 'wasm', sample: SAMPLE, score: '0.01' });
    try {
      await waitForRuns(page, 1, WASM_RUN_MS);
      expect(await page.textContent('#model-name')).toContain('untrained D0 (seed 42)');
      expect(await page.isVisible('#untrained-notice')).toBe(true);
      expect(await page.textContent('#untrained-notice')).toContain('the bundled model could not be loaded');
      expect(await page.isHidden('#scope-notice')).toBe(true);
      expect(await page.getAttribute('#result-canvas', 'data-image')).toBe(SAMPLE);
      const detections = await pageDetections(page);
      // Every score of an untrained head is about 0.01, so at 0.01 the 100-row cap is reached.
      expect(detections).toHaveLength(100);
      for (const detection of detections) {
        expect(detection.score).toBeGreaterThan(0.01);
        expect(detection.score).toBeLessThan(0.0102);
        expect(detection.label).not.toBe('');
        expect(detection.box[2]).toBeGreaterThan(detection.box[0]);
        expect(detection.box[3]).toBeGreaterThan(detection.box[1]);
      }
      await page.screenshot({ path: artifactPath('untrained-wasm.png'), fullPage: true });
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  }, 60_000);

  it('builds the model picked by name (?model=tf_efficientdet_lite0): untrained Lite0 at 320, as model.detect does in Node', async () => {
    const opened = openDemo(browser!, server!.url, { backend: 'wasm', model: 'tf_efficientdet_lite0', sample: 'none' });
    // Meanwhile, the page's seeded Lite0 built the same way in Node (its own normalisation and numerics).
    const config = presetConfig('tf_efficientdet_lite0', { ...UNTRAINED_PRESET });
    const reference = nodeDetections(null, await decodeSample(SAMPLE), [{ scoreThreshold: 0.2, iouThreshold: 0.2, maxDetections: 100 }], config);
    const { page, errors } = await opened;
    try {
      await activeBackend(page);
      await page.waitForSelector('#model-name[data-model="tf_efficientdet_lite0"]');
      expect(await page.inputValue('#model-select')).toBe('tf_efficientdet_lite0');
      expect(await page.textContent('#model-select option[value="bundled"]')).toBe('bundled EfficientDet-D0 BCCD');
      expect(await page.textContent('#model-select option[value="tf_efficientdet_lite0"]')).toBe('EfficientDet-Lite0 (tf_efficientdet_lite0)');
      expect(await page.textContent('#model-name')).toBe('untrained tf_efficientdet_lite0 (seed 42): EfficientDet-Lite0, 90 classes, 320×320 input');
      expect(await page.isVisible('#untrained-notice')).toBe(true);
      expect(await page.textContent('#untrained-notice')).toContain('Untrained model: EfficientDet-Lite0 (tf_efficientdet_lite0) built by name');

      // The picker goes back to the bundled model and to Lite0 again, keeping its choice in the URL.
      await page.selectOption('#model-select', 'bundled');
      await page.waitForSelector('#model-name[data-model=""]');
      expect(await page.textContent('#model-name')).toContain('EfficientDet-D0 BCCD: D0, 3 classes');
      expect(new URL(page.url()).searchParams.has('model')).toBe(false);
      await page.selectOption('#model-select', 'tf_efficientdet_lite0');
      await page.waitForSelector('#model-name[data-model="tf_efficientdet_lite0"]');
      expect(new URL(page.url()).searchParams.get('model')).toBe('tf_efficientdet_lite0');

      await page.click(`.sample-button[data-sample="${SAMPLE}"]`);
      await waitForRuns(page, 1, WASM_RUN_MS);
      const [expected] = await reference;
      expect(expected.length).toBeGreaterThan(0);
      const comparison = compareDetections(await pageDetections(page), expected, { box: 1e-3, score: 1e-6 }, 0.2);
      expect(comparison.problems).toEqual([]);
      expect(comparison.matched).toBe(expected.length);
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  }, 60_000);

  it('refilters with the sliders without running the network again, as model.detect would', async () => {
    const weights = await contrastWeights();
    const image = await decodeSample(SAMPLE);
    const settings = [
      { scoreThreshold: 0.3, iouThreshold: 0.5 },
      { scoreThreshold: 0.35, iouThreshold: 0.5 },
      { scoreThreshold: 0.35, iouThreshold: 0.2 },
    ];
    const references = await nodeDetections(weights, image, settings.map((setting) => ({ ...setting, maxDetections: 100 })));
    // The stand-in's architecture (90 classes), so that the seeded test weights fit.
    // ?threads=1: one wasm thread although the page is isolated (the first test ran one per core).
    const { page, errors } = await openDemo(browser!, standInServer!.url, { backend: 'wasm', sample: 'none', score: '0.3', iou: '0.5', threads: '1' });
    try {
      await activeBackend(page);
      await uploadWeights(page, weights, 'contrast.safetensors');
      await page.waitForSelector('#model-name:has-text("contrast.safetensors")');
      // The test weights say of themselves that they are synthetic.
      expect(await page.textContent('#untrained-notice')).toContain('contrast.safetensors says it is not trained');
      await page.click(`.sample-button[data-sample="${SAMPLE}"]`);
      await waitForRuns(page, 1, WASM_RUN_MS);
      const tensorsAfterFirstRun = await page.getAttribute('#timings', 'data-tensors');
      const info = await computeInfo(page);
      expect(info).toMatchObject({ isolated: true, backend: 'wasm', threads: '1' });
      expect(info.caption).toMatch(/^network [\d.]+ ms \(wasm, 1 thread\)$/);

      for (const [index, setting] of settings.entries()) {
        await setSlider(page, 'score-threshold', setting.scoreThreshold);
        await setSlider(page, 'iou-threshold', setting.iouThreshold);
        const comparison = compareDetections(await pageDetections(page), references[index], { box: 1e-3, score: 1e-5 }, setting.scoreThreshold);
        expect(comparison.problems, `score > ${setting.scoreThreshold}, IoU ${setting.iouThreshold}`).toEqual([]);
        expect(comparison.matched).toBe(references[index].length);
      }
      expect(references[1].length).toBeLessThan(references[0].length);
      expect(await runCount(page)).toBe(1);

      // A second run of the same image leaves the worker's tensor count where the first left it.
      await page.click(`.sample-button[data-sample="${SAMPLE}"]`);
      await waitForRuns(page, 2, WASM_RUN_MS);
      expect(await page.getAttribute('#timings', 'data-tensors')).toBe(tensorsAfterFirstRun);
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  }, 90_000);

  it('refuses a corrupt or mismatched weights file with a clear message and keeps the old weights (on a host without isolation headers)', async () => {
    const { page } = await openDemo(browser!, plainServer!.url, { backend: 'wasm', sample: 'none' });
    // One BiFPN layer fewer than D0: the file lacks keys the model needs.
    const shallow = new EfficientDet({ compoundCoef: 0, numClasses: 3, fpnLayers: 2, seed: 1 });
    const mismatched = await shallow.saveSafetensors({ dtype: 'F16' });
    shallow.dispose();
    try {
      await activeBackend(page);
      const modelName = await page.textContent('#model-name');

      await uploadWeights(page, new TextEncoder().encode('this is not a safetensors file'), 'broken.safetensors');
      await page.waitForSelector('#message:has-text("Could not load broken.safetensors")');
      expect(await page.textContent('#message')).toContain('The previous weights are still in use');

      await uploadWeights(page, mismatched, 'shallow.safetensors');
      await page.waitForSelector('#message:has-text("Could not load shallow.safetensors")');
      expect(await page.textContent('#message')).toMatch(/bifpn\.2/);
      expect(await page.textContent('#model-name')).toBe(modelName);

      // The model still works; without the isolation headers, on one thread.
      await page.click(`.sample-button[data-sample="${SAMPLE}"]`);
      await waitForRuns(page, 1, WASM_RUN_MS);
      expect(await page.textContent('#status')).toBe('ready');
      expect(await computeInfo(page)).toMatchObject({ isolated: false, backend: 'wasm', threads: '1' });
    } finally {
      await page.close();
    }
  }, 60_000);

  it('takes weights with another class count: a new model with those classes and the names the file carries', async () => {
    const { page, errors } = await openDemo(browser!, server!.url, { backend: 'wasm', sample: 'none', score: '0.01' });
    const coco = new EfficientDet({ compoundCoef: 0, numClasses: 90, seed: 1 });
    const cocoWeights = await coco.saveSafetensors({ dtype: 'F16' });
    coco.dispose();
    const pets = new EfficientDet({ compoundCoef: 0, numClasses: 2, seed: 2 });
    const petWeights = await pets.saveSafetensors({ dtype: 'F16', metadata: { classes: '["cat","dog"]' } });
    pets.dispose();
    try {
      await activeBackend(page);
      await uploadWeights(page, cocoWeights, 'coco.safetensors');
      await page.waitForSelector('#model-name:has-text("coco.safetensors")');
      expect(await page.textContent('#model-name')).toContain('90 classes');
      await page.click(`.sample-button[data-sample="${SAMPLE}"]`);
      await waitForRuns(page, 1, WASM_RUN_MS);
      const cocoLabels = new Set((await pageDetections(page)).map((detection) => detection.label));
      expect(cocoLabels.size).toBeGreaterThan(1);
      // COCO's unused ids have no name: those show as `class <id>`.
      for (const label of cocoLabels) expect(COCO90_LABELS.includes(label) || /^class \d+$/.test(label), label).toBe(true);
      expect([...cocoLabels].some((label) => COCO90_LABELS.includes(label))).toBe(true);

      await uploadWeights(page, petWeights, 'pets.safetensors');
      await page.waitForSelector('#model-name:has-text("pets.safetensors")');
      expect(await page.textContent('#model-name')).toContain('2 classes');
      await page.click(`.sample-button[data-sample="${SAMPLE}"]`);
      await waitForRuns(page, 2, WASM_RUN_MS);
      const petLabels = new Set((await pageDetections(page)).map((detection) => detection.label));
      expect([...petLabels].sort()).toEqual(['cat', 'dog']);
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  }, 90_000);

  it('falls back, visibly, when the chosen backend cannot start; and runs on webcam frames', async () => {
    // Without --enable-unsafe-webgpu, Chromium on Linux offers no WebGPU adapter. A fake camera stands in
    // for the webcam (its frames are a generated test pattern).
    const plain = await chromium.launch({
      executablePath: CHROMIUM_PATH,
      args: [...QUIET_FLAGS, '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'],
      headless: true,
    });
    try {
      const page = await plain.newPage();
      await page.goto(`${server!.url}?backend=webgpu&sample=none`);
      expect(await activeBackend(page)).toBe('webgl');
      expect(await page.isVisible('#backend-message')).toBe(true);
      expect(await page.textContent('#backend-message')).toMatch(/^webgpu is not available here \(webgpu: .+\)\. Using webgl instead\.$/);
      expect(await page.inputValue('#backend-select')).toBe('webgl');

      // Switching backends in the picker starts a new worker and updates the URL.
      await page.selectOption('#backend-select', 'wasm');
      await page.waitForSelector('#active-backend[data-backend="wasm"]');
      expect(new URL(page.url()).searchParams.get('backend')).toBe('wasm');
      expect(await page.isHidden('#backend-message')).toBe(true);

      // Frames follow each other without a pause, so the page is never idle: wait for the count alone.
      await page.click('#webcam-toggle');
      await page.waitForFunction(() => Number(document.querySelector('#timings')?.getAttribute('data-runs')) >= 2, null, { timeout: 2 * WASM_RUN_MS });
      expect(await page.getAttribute('#result-canvas', 'data-image')).toBe('webcam');
      await page.click('#webcam-toggle');
      expect(await page.textContent('#webcam-toggle')).toBe('Start webcam');
    } finally {
      await plain.close();
    }
  }, 120_000);
});
