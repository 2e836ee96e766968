import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Detection, presetConfig } from '@edet/model';

import { CHROMIUM_ARGS, CHROMIUM_PATH, assertChromium } from '../../../tooling/test/chromium.js';
import { artifactPath, writeArtifact } from './support/artifacts.js';
import { sharedDemoBuild } from './support/build-demo.js';
import { type Tolerance, compareDetections } from './support/compare-detections.js';
import { contrastWeights } from './support/contrast-weights.js';
import { activeBackend, longestMainThreadStall, openDemo, pageDetections, uploadWeights, waitForRuns } from './support/demo-page.js';
import { decodeSample, nodeDetections } from './support/node-reference.js';
import { type StaticServer, serveDirectory } from './support/static-server.js';

// The built demo in headless Chromium, once per backend: the page must draw what `model.detect` gives in
// Node for the same weights, image and thresholds. The build is served without its bundled model, so the
// page starts on the seeded stand-in (COCO's 90 classes). The test weights are that D0 at 256x256: their
// metadata names the model and its size, so the page builds it as the file says (the demo's route for any
// named checkpoint), and a quarter of the pixels keeps one network run per backend affordable on
// SwiftShader. Every layer and shader of D0 runs as at 512; only the map sizes differ.

const SAMPLE = '000000000136.jpg';
/** The stand-in's D0 (zylo117 numerics, seed 42, COCO's 90 classes) at a smaller input. */
const TEST_MODEL = presetConfig('efficientdet-d0', { numClasses: 90, seed: 42, inputSize: 256 });
const THRESHOLDS = { scoreThreshold: 0.3, iouThreshold: 0.5 } as const;
const MAX_DETECTIONS = 100;

/**
 * How far each backend may be from Node's wasm backend. WASM runs the same kernels as in Node; CPU sums in
 * another order; WebGL and WebGPU run float32 shaders with their own exp/sigmoid and summation order.
 * (The measured gaps are written to test-artifacts/demo/<backend>.json.)
 */
const BACKENDS: { name: 'wasm' | 'cpu' | 'webgl' | 'webgpu'; tolerance: Tolerance; timeout: number }[] = [
  // Measured on SwiftShader, 43 detections: wasm identical to Node; cpu 3e-5 px and 1.6e-6 in score;
  // webgl and webgpu 6e-5 px and 1.1e-6. The GPU bounds leave room for real GPUs' own rounding.
  { name: 'wasm', tolerance: { box: 1e-3, score: 1e-6 }, timeout: 60_000 },
  { name: 'cpu', tolerance: { box: 1e-3, score: 1e-5 }, timeout: 120_000 },
  { name: 'webgl', tolerance: { box: 0.01, score: 1e-4 }, timeout: 150_000 },
  { name: 'webgpu', tolerance: { box: 0.01, score: 1e-4 }, timeout: 240_000 },
];

let browser: Browser | undefined;
let server: StaticServer | undefined;
let weights: Uint8Array;
let reference: Detection[];

beforeAll(async () => {
  assertChromium();
  const outDir = await sharedDemoBuild();
  server = await serveDirectory(outDir, { hide: ['models/'] });
  browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: [...CHROMIUM_ARGS], headless: true });
  weights = await contrastWeights(TEST_MODEL);
  [reference] = await nodeDetections(weights, await decodeSample(SAMPLE), [{ ...THRESHOLDS, maxDetections: MAX_DETECTIONS }], TEST_MODEL);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('the demo on every backend', () => {
  it('has a reference worth comparing with', () => {
    expect(reference.length).toBeGreaterThan(5);
    expect(reference.length).toBeLessThan(MAX_DETECTIONS);
  });

  for (const { name, tolerance, timeout } of BACKENDS) {
    it(`${name}: detects the sample as model.detect does in Node`, async () => {
      const { page, errors } = await openDemo(browser!, server!.url, {
        backend: name,
        sample: 'none',
        score: String(THRESHOLDS.scoreThreshold),
        iou: String(THRESHOLDS.iouThreshold),
      });
      try {
        expect(await activeBackend(page)).toBe(name);
        expect(await page.isHidden('#backend-message')).toBe(true);
        expect(await page.isVisible('#untrained-notice')).toBe(true);

        await uploadWeights(page, weights, 'contrast.safetensors');
        await page.waitForSelector('#model-name:has-text("contrast.safetensors")');
        expect(await page.textContent('#model-name')).toContain('256×256 input');
        await page.click(`.sample-button[data-sample="${SAMPLE}"]`);
        // The network runs in the worker: the page's own thread must stay free meanwhile.
        const stallMs = await longestMainThreadStall(page, 1500);
        await waitForRuns(page, 1, timeout);

        const detections = await pageDetections(page);
        const comparison = compareDetections(detections, reference, tolerance, THRESHOLDS.scoreThreshold);
        const timings = await page.$eval('#timings', (table) => (table as HTMLElement).innerText);
        // wasm: the threads it ran on (one per core: the served build is cross-origin isolated).
        const threads = await page.getAttribute('#timings', 'data-threads');
        await page.screenshot({ path: artifactPath(`${name}.png`), fullPage: true });
        writeArtifact(`${name}.json`, { backend: name, threads, tolerance, stallMs, ...comparison, detections: detections.length, reference: reference.length, timings });

        expect(comparison.problems).toEqual([]);
        expect(await page.getAttribute('#timings', 'data-backend')).toBe(name);
        expect(threads === null).toBe(name !== 'wasm');
        expect(detections.length).toBeGreaterThanOrEqual(reference.length - 1);
        expect(stallMs).toBeLessThan(500);
        // Capping the candidates must not have cut into what the threshold keeps.
        if ((await page.getAttribute('#selection-summary', 'data-capped')) === 'true') {
          expect(Number(await page.getAttribute('#selection-summary', 'data-lowest-score'))).toBeLessThan(THRESHOLDS.scoreThreshold);
        }
        expect(errors).toEqual([]);
      } finally {
        await page.close();
      }
    }, timeout + 30_000);
  }
});
