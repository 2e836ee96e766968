import * as tf from '@tensorflow/tfjs-core';
import { type EfficientDet, type Letterbox, letterboxImage } from '@edet/model';

import type { Candidates, StageTimings } from '../protocol.js';
import { bitmapPixels } from './bitmap-pixels.js';
import { candidatesFromOutputs } from './candidates.js';
import { settle } from './settle.js';

/**
 * `model.detect` taken apart, so that each stage can be timed and NMS left to the page: pixels out of the
 * bitmap, letterbox and normalise (preprocess), `model.forward` (network), candidates (postprocess).
 * Every tensor made here is disposed before returning; the bitmap is closed.
 */
export async function detectCandidates(
  model: EfficientDet,
  bitmap: ImageBitmap,
): Promise<{ candidates: Candidates; imageWidth: number; imageHeight: number; letterbox: Letterbox; timings: StageTimings }> {
  const start = performance.now();
  const image = bitmapPixels(bitmap);
  const size = model.config.inputSize;
  // The preset's normalisation: ImageNet statistics for the D family, (x / 255 - 0.5) / 0.5 for Lite.
  const { input, letterbox } = letterboxImage(image, size, model.config.normalization);
  let outputs: tf.Tensor[] = [];
  try {
    await settle(input);
    const preprocessed = performance.now();

    outputs = model.forward(input, { channelsLast: true });
    const [classification, regression, anchors] = outputs;
    await Promise.all([settle(classification), settle(regression)]);
    const networked = performance.now();

    const candidates = await candidatesFromOutputs(classification, regression, anchors, size);
    const end = performance.now();
    return {
      candidates,
      imageWidth: image.width,
      imageHeight: image.height,
      letterbox,
      timings: {
        preprocessMs: preprocessed - start,
        networkMs: networked - preprocessed,
        postprocessMs: end - networked,
        totalMs: end - start,
      },
    };
  } finally {
    input.dispose();
    tf.dispose(outputs);
  }
}
