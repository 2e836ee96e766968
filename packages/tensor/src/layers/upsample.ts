import * as tf from '@tensorflow/tfjs-core';

import { InvalidArgumentError } from '../errors.js';

/**
 * Nearest-neighbour upsampling by an integer factor: every pixel becomes a `factor x factor` block.
 * Built from reshape + tile rather than `resizeNearestNeighbor`, so its gradient is a plain sum on every
 * backend. `[N, H, W, C]` -> `[N, H*f, W*f, C]`; the caller disposes the result.
 */
export function upsampleNearest(x: tf.Tensor4D, factor = 2): tf.Tensor4D {
  return tf.tidy(() => {
    const [n, h, w, c] = x.shape;
    const expanded = tf.reshape(x, [n, h, 1, w, 1, c]);
    const tiled = tf.tile(expanded, [1, 1, factor, 1, factor, 1]);
    return tf.reshape(tiled, [n, h * factor, w * factor, c]);
  });
}

/**
 * Nearest-neighbour upsampling to an explicit size, as effdet and the official TF code resample to the next
 * level's size: output cell `i` reads input cell `floor(i / factor)`. For sizes that halve with rounding up
 * (`size = ceil(target / 2)`) this equals torch's `interpolate(size=target, mode='nearest')`. The map is
 * upsampled by `factor` and cropped at the bottom / right; at exact multiples nothing is cropped.
 * `[N, H, W, C]` -> `[N, height, width, C]`; the caller disposes the result.
 */
export function upsampleNearestTo(x: tf.Tensor4D, size: readonly [number, number], factor = 2): tf.Tensor4D {
  const [, h, w] = x.shape;
  const [height, width] = size;
  // Only a crop of at most factor - 1 cells keeps every input cell in the output (and equals torch).
  const reachable = (target: number, source: number) => Number.isInteger(target) && target > (source - 1) * factor && target <= source * factor;
  if (!reachable(height, h) || !reachable(width, w)) {
    const expected = `[height, width] with (${h} - 1) * ${factor} < height <= ${h * factor} and (${w} - 1) * ${factor} < width <= ${w * factor}`;
    throw new InvalidArgumentError('size', expected, `[${size.join(', ')}]`);
  }
  return tf.tidy(() => {
    const up = upsampleNearest(x, factor);
    const [n, h, w, c] = up.shape;
    if (h === height && w === width) return up;
    return tf.slice(up, [0, 0, 0, 0], [n, height, width, c]);
  });
}
