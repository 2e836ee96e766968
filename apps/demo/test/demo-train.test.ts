import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

import { createCanvas, loadImage } from '@napi-rs/canvas';
import { zipSync } from 'fflate';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RgbImage } from '@edet/model';

import { chooseModel, createChosenDetector } from '../../trainer/src/model.js';
import { writeArtifact } from './support/artifacts.js';
import { compareDetections } from './support/compare-detections.js';
import { activeBackend, longestMainThreadStall, openDemo, pageDetections, setSlider, waitForRuns } from './support/demo-page.js';
import { BCCD, type DemoSession, startDemoSession, writeBccdSubset } from './support/demo-session.js';

// The Train section end to end in headless Chromium: 12 BCCD images (8 training, 4 validation) and a COCO
// file for them go in through the file input; Lite0 at 128x128 (a small input keeps the run affordable on
// CI's cores) trains for STEPS steps on wasm in the training worker; the loss must fall, the page must stay
// responsive meanwhile, and the downloaded safetensors must load through the command line's model choice
// (`chooseModel`, `createChosenDetector`: what `edet detect --weights` runs) and detect a validation image
// as the page's detection path does with the same file.

const STEPS = 20;
const SIZE = 128;
/** wasm in the page runs the same kernels as in Node (demo-backends.test.ts). */
const TOLERANCE = { box: 1e-3, score: 1e-6 };

let session: DemoSession | undefined;
const folder = mkdtempSync(join(tmpdir(), 'edet-demo-train-'));

beforeAll(async () => {
  session = await startDemoSession();
}, 120_000);

afterAll(async () => {
  await session?.close();
  rmSync(folder, { recursive: true, force: true });
});

/** The VOC annotations of @edet/data's fixture and their BCCD images, zipped in a folder. */
function vocZip(): Buffer {
  const annotations = join(import.meta.dirname, '..', '..', '..', 'packages', 'data', 'test', 'fixtures', 'voc-bccd', 'Annotations');
  const entries: Record<string, Uint8Array> = {};
  for (const name of readdirSync(annotations)) {
    entries[`voc/Annotations/${name}`] = readFileSync(join(annotations, name));
    const image = name.replace('.xml', '.jpg');
    entries[`voc/JPEGImages/${image}`] = readFileSync(join(BCCD, 'images', image));
  }
  return Buffer.from(zipSync(entries));
}

async function decode(path: string): Promise<RgbImage> {
  const image = await loadImage(readFileSync(path));
  const canvas = createCanvas(image.width, image.height);
  const context = canvas.getContext('2d');
  context.drawImage(image, 0, 0);
  return { data: context.getImageData(0, 0, image.width, image.height).data, width: image.width, height: image.height, channels: 4 };
}

it('fine-tunes Lite0 on uploaded COCO files in a worker, the loss falling, and hands over weights the CLI loads', async () => {
  const { page, errors } = await openDemo(session!.browser, session!.url, { backend: 'wasm', sample: 'none' });
  try {
    expect(await activeBackend(page)).toBe('wasm');
    const subset = writeBccdSubset(folder, 12);
    // A file list the page cannot use says why, and Start stays off.
    await page.setInputFiles('#train-files', [subset.json, ...subset.images.slice(1)]);
    await page.waitForSelector('#train-error:not([hidden])');
    expect(await page.textContent('#train-error')).toBe('images: 1 image(s) that subset.json lists were not chosen (BloodImage_00000.jpg)');
    expect(await page.isDisabled('#train-start')).toBe(true);

    // Pascal VOC files and their images in a zip (with a folder inside) are read in the page too.
    await page.setInputFiles('#train-files', { name: 'voc.zip', mimeType: 'application/zip', buffer: vocZip() });
    await page.waitForSelector('#train-summary[data-images="3"]');
    expect(await page.textContent('#train-summary')).toMatch(/^Pascal VOC: 3 images \(2 training, 1 validation\), \d+ annotations, 3 classes: Platelets, RBC, WBC$/);
    expect(await page.isVisible('#train-error')).toBe(false);

    await page.fill('#train-validation', '0.33');
    await page.setInputFiles('#train-files', [subset.json, ...subset.images]);
    await page.waitForSelector('#train-summary[data-images="12"]');
    expect(await page.textContent('#train-summary')).toContain('12 images (8 training, 4 validation)');
    expect(await page.getAttribute('#train-summary', 'data-classes')).toBe('3');
    expect(await page.inputValue('#train-size')).toBe('320');

    await page.fill('#train-size', String(SIZE));
    await page.fill('#train-steps', String(STEPS));
    await page.fill('#train-batch', '2');
    await page.fill('#train-lr', '0.004');
    await page.click('#train-start');
    await page.waitForSelector('#train-status[data-step="2"]', { timeout: 60_000 });

    // The worker computes: the page's thread stays free, and a click is handled at once.
    const stallMs = await longestMainThreadStall(page, 1500);
    await page.evaluate(() => {
      document.querySelector('#train-chart')!.addEventListener('click', (event) => {
        (window as unknown as { clickLatency: number }).clickLatency = performance.now() - event.timeStamp;
      });
    });
    await page.click('#train-chart');
    const clickLatencyMs = await page.evaluate(() => (window as unknown as { clickLatency: number }).clickLatency);
    expect(await page.getAttribute('#train-status', 'data-state')).toBe('running');

    await page.waitForSelector('#train-status[data-state="done"]', { timeout: 120_000 });
    const losses = JSON.parse((await page.getAttribute('#train-chart', 'data-losses'))!) as number[];
    const stepSeconds = JSON.parse((await page.getAttribute('#train-chart', 'data-seconds'))!) as number[];
    const threads = await page.getAttribute('#train-status', 'data-threads');
    expect(await page.getAttribute('#train-status', 'data-backend')).toBe('wasm');
    const download = page.waitForEvent('download');
    await page.click('#train-download');
    const file = join(folder, (await download).suggestedFilename());
    await (await download).saveAs(file);

    // The page's detection path with the same file, on a validation image.
    const validationImage = join(BCCD, 'images', 'BloodImage_00000.jpg');
    await page.click('#train-try');
    await page.waitForSelector('#model-name:has-text("tf_efficientdet_lite0")');
    await page.setInputFiles('#image-input', validationImage);
    await waitForRuns(page, 1, 60_000);

    // The command line's loader: model, size and classes all from the file's metadata.
    const choice = await chooseModel({ weightsFile: file });
    const model = await createChosenDetector(choice, () => undefined);
    let reference;
    try {
      expect(choice.model).toBe('tf_efficientdet_lite0');
      expect(choice.inputSize).toBe(SIZE);
      expect(choice.classNames).toEqual(['RBC', 'WBC', 'Platelets']);
      reference = (await model.detect(await decode(validationImage), { scoreThreshold: 0.05, iouThreshold: 0.2, maxDetections: 100, clipToImage: true }))[0];
    } finally {
      model.dispose();
    }
    // The highest slider setting that keeps a few detections, so that the comparison has something to compare.
    const threshold = [0.5, 0.3, 0.2, 0.1, 0.05].find((t) => reference.filter((d) => d.score > t).length >= 3) ?? 0.05;
    await setSlider(page, 'iou-threshold', 0.2);
    await setSlider(page, 'score-threshold', threshold);
    const detections = await pageDetections(page);
    const comparison = compareDetections(detections, reference.filter((d) => d.score > threshold), TOLERANCE, threshold);
    writeArtifact('train.json', { losses, stepSeconds, threads, stallMs, clickLatencyMs, threshold, ...comparison, detections: detections.length });

    expect(losses).toHaveLength(STEPS);
    // The 4 held-out images are scored after every epoch; the status shows the last.
    expect(await page.textContent('#train-status')).toMatch(new RegExp(`^done after ${STEPS} steps; validation \\(4 images\\): loss [0-9.]+, mAP [0-9.]+, mAP@\\.5 [0-9.]+;`));
    expect(Number.isFinite(Number(await page.getAttribute('#train-status', 'data-val-loss')))).toBe(true);
    expect(losses.every(Number.isFinite)).toBe(true);
    const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
    // Deterministic (seeded init, order and augmentation; wasm kernels): measured 0.63; the bound leaves room for kernel changes.
    expect(mean(losses.slice(-4))).toBeLessThan(0.75 * mean(losses.slice(0, 4)));
    expect(stallMs).toBeLessThan(500);
    expect(clickLatencyMs).toBeLessThan(200);
    expect(Number(await page.getAttribute('#train-status', 'data-tensors'))).toBe(0);
    expect(detections.length).toBeGreaterThanOrEqual(3);
    expect(comparison.problems).toEqual([]);

    // A run can start from a weights file: the one just downloaded names its model and size, which the form
    // takes. The first batch is the same (seeded), so the trained weights start with a lower loss.
    await page.fill('#train-size', '256');
    await page.setInputFiles('#train-weights', file);
    await page.waitForSelector('#train-weights-clear:not([hidden])');
    expect(await page.textContent('#train-weights-name')).toBe(`starting from ${basename(file)} (tf_efficientdet_lite0)`);
    expect(await page.inputValue('#train-size')).toBe(String(SIZE));
    // Stop ends a run after the step in progress, and its weights are offered too.
    await page.fill('#train-steps', '1000');
    await page.click('#train-start');
    await page.waitForSelector('#train-status[data-step="2"]', { timeout: 60_000 });
    await page.click('#train-stop');
    await page.waitForSelector('#train-status[data-state="done"]', { timeout: 60_000 });
    expect(await page.textContent('#train-status')).toMatch(/^stopped after [2-9] steps/);
    const resumedLosses = JSON.parse((await page.getAttribute('#train-chart', 'data-losses'))!) as number[];
    expect(resumedLosses[0]).toBeLessThan(losses[0]);
    expect(await page.isVisible('#train-download')).toBe(true);
    expect(errors).toEqual([]);
  } finally {
    await page.close();
  }
}, 300_000);
