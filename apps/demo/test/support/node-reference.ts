import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { createCanvas, loadImage } from '@napi-rs/canvas';
import { type DetectOptions, type Detection, EfficientDet, type EfficientDetConfig, type RgbImage } from '@edet/model';

import { UNTRAINED_MODEL } from '../../src/config.js';
import { DEMO_ROOT } from './build-demo.js';

/** The folder the demo's samples come from. */
export const SAMPLES_DIRECTORY = join(DEMO_ROOT, '..', 'trainer', 'assets', 'samples');

/** The folder the demo's bundled model comes from (`MODEL_MANIFEST_PATH`). */
export const BUNDLED_MODEL_DIRECTORY = join(DEMO_ROOT, '..', 'trainer', 'assets', 'models', 'bccd-d0');

/** The bundled model's manifest and weights, as the page fetches them. */
export async function bundledModel(): Promise<{ manifest: { name: string; weights: string; compoundCoef: number; inputSize?: number; labels: string[] }; weights: Uint8Array }> {
  const manifest = JSON.parse(await readFile(join(BUNDLED_MODEL_DIRECTORY, 'model.json'), 'utf8'));
  return { manifest, weights: new Uint8Array(await readFile(join(BUNDLED_MODEL_DIRECTORY, manifest.weights))) };
}

/**
 * A sample decoded in Node (Skia's decoders, through @napi-rs/canvas), RGBA. Chromium decodes the
 * bundled JPEGs to the very same bytes (both use libjpeg-turbo's defaults), which the comparisons rely on.
 */
export async function decodeSample(file: string): Promise<RgbImage> {
  const image = await loadImage(await readFile(join(SAMPLES_DIRECTORY, file)));
  const canvas = createCanvas(image.width, image.height);
  const context = canvas.getContext('2d');
  context.drawImage(image, 0, 0);
  return { data: context.getImageData(0, 0, image.width, image.height).data, width: image.width, height: image.height, channels: 4 };
}

/**
 * `model.detect` in Node, the reference the browser must reproduce: the demo's model (`UNTRAINED_MODEL`
 * unless `config` says otherwise) with `weights` loaded, one run per options set, boxes clipped to the
 * image as the page shows them. Runs on the test process's backend (wasm by default).
 */
export async function nodeDetections(
  weights: Uint8Array,
  image: RgbImage,
  optionSets: readonly DetectOptions[],
  config: EfficientDetConfig = UNTRAINED_MODEL,
): Promise<Detection[][]> {
  const model = new EfficientDet({ ...config });
  try {
    model.loadSafetensors(weights);
    const results: Detection[][] = [];
    for (const options of optionSets) results.push((await model.detect(image, { ...options, clipToImage: true }))[0]);
    return results;
  } finally {
    model.dispose();
  }
}
