import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { createCanvas, loadImage } from '@napi-rs/canvas';
import { BCCD_D0_MANIFEST, readBccdD0Weights } from '@edet/bccd-d0/node';
import { type DetectOptions, type Detection, EfficientDet, type EfficientDetConfig, type ModelManifest, type RgbImage } from '@edet/model';

import { UNTRAINED_MODEL } from '../../src/config.js';
import { DEMO_ROOT } from './build-demo.js';

/** The folder the demo's samples come from. */
export const SAMPLES_DIRECTORY = join(DEMO_ROOT, '..', 'trainer', 'assets', 'samples');

/** The bundled model's manifest and weights (the @edet/bccd-d0 package), as the page fetches them. */
export async function bundledModel(): Promise<{ manifest: ModelManifest; weights: Uint8Array }> {
  return { manifest: BCCD_D0_MANIFEST, weights: await readBccdD0Weights() };
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
 * unless `config` says otherwise) with `weights` loaded (`null`: the config's own seeded weights), one run
 * per options set, boxes clipped to the image as the page shows them. Runs on the test process's backend
 * (wasm by default).
 */
export async function nodeDetections(
  weights: Uint8Array | null,
  image: RgbImage,
  optionSets: readonly DetectOptions[],
  config: EfficientDetConfig = UNTRAINED_MODEL,
): Promise<Detection[][]> {
  const model = new EfficientDet({ ...config });
  try {
    if (weights !== null) model.loadSafetensors(weights);
    const results: Detection[][] = [];
    for (const options of optionSets) results.push((await model.detect(image, { ...options, clipToImage: true }))[0]);
    return results;
  } finally {
    model.dispose();
  }
}
