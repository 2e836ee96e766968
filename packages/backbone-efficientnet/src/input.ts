import * as tf from '@tensorflow/tfjs-core';

import { InvalidArgumentError, allFinite, formatShape } from '@edet/tensor';

/** Backends whose synchronous read-back is cheap; on GPU backends it stalls the pipeline (or fails). */
const SYNC_READ_BACKENDS = new Set(['cpu', 'wasm']);

/** Options of `checkImageBatch`. */
export interface ImageBatchCheck {
  /** Height and width must be multiples of this (the network halves them down to its top level). Default 1. */
  stride?: number;
  /** `[N, H, W, 3]` when true (the default), `[N, 3, H, W]` when false. */
  channelsLast?: boolean;
  /**
   * Also check that every value is finite (reads one boolean back). Default: on cpu and wasm only, where a
   * synchronous read-back is cheap; `checkFiniteAsync` does it on any backend for async paths.
   */
  checkFinite?: boolean;
}

/**
 * Validates a batch of images for a network: a live float32 rank-4 tensor with 3 channels (axis 3 for
 * NHWC, axis 1 for NCHW), a non-empty batch and spatial sizes that are positive multiples of `stride`,
 * and (see `checkFinite`) finite values. Throws `InvalidArgumentError` naming `argument`. The one input
 * check of the backbone and the detector.
 */
export function checkImageBatch(x: unknown, argument = 'x', options: ImageBatchCheck = {}): asserts x is tf.Tensor4D {
  const { stride = 1, channelsLast = true, checkFinite = SYNC_READ_BACKENDS.has(tf.getBackend()) } = options;
  const layout = channelsLast ? '[N, H, W, 3]' : '[N, 3, H, W]';
  if (!(x instanceof tf.Tensor)) throw new InvalidArgumentError(argument, `a tf.Tensor ${layout}`, describe(x));
  if (x.isDisposed) throw new InvalidArgumentError(argument, `a live tensor ${layout}`, 'a disposed tensor');
  if (x.rank !== 4) throw new InvalidArgumentError(argument, `a rank-4 tensor ${layout}`, `shape ${formatShape(x.shape)}`);
  if (x.dtype !== 'float32') throw new InvalidArgumentError(argument, 'dtype float32', `dtype ${x.dtype}`);
  const [batch, height, width, channels] = channelsLast ? x.shape : [x.shape[0], x.shape[2], x.shape[3], x.shape[1]];
  if (channels !== 3) {
    throw new InvalidArgumentError(argument, `3 channels on axis ${channelsLast ? 3 : 1} ${layout}`, `shape ${formatShape(x.shape)}`);
  }
  if (batch === 0 || height === 0 || width === 0 || height % stride !== 0 || width % stride !== 0) {
    const sizes = stride > 1 ? `height and width multiples of ${stride}` : 'positive height and width';
    throw new InvalidArgumentError(argument, `a non-empty batch with ${sizes}`, `shape ${formatShape(x.shape)} (${height}x${width})`);
  }
  if (!checkFinite) return;
  const finite = tf.tidy(() => allFinite(x).dataSync()[0]);
  if (!finite) throw new InvalidArgumentError(argument, 'finite values', 'NaN or Infinity');
}

/** The finiteness check of `checkImageBatch`, reading back asynchronously (fine on every backend). */
export async function checkFiniteAsync(x: tf.Tensor, argument: string): Promise<void> {
  const all = allFinite(x);
  const [finite] = await all.data();
  all.dispose();
  if (!finite) throw new InvalidArgumentError(argument, 'finite values', 'NaN or Infinity');
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}
