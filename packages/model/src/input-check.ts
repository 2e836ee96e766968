import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError, formatShape } from '@edet/tensor';

/** Backends whose synchronous read-back is cheap; on GPU backends it stalls the pipeline (or fails). */
const SYNC_READ_BACKENDS = new Set(['cpu', 'wasm']);

/**
 * Validates a batch of images for the network: a float32 rank-4 tensor with 3 channels (axis 1 for NCHW,
 * axis 3 for NHWC), spatial sizes that are positive multiples of `stride` (the network halves them down to
 * the top pyramid level), and finite values. Throws `InvalidArgumentError` naming `argument`.
 * The finiteness check reads one boolean back; it runs here only on cpu and wasm (or when `checkFinite` is
 * forced), and `checkFiniteAsync` does it on any backend for the async paths (`predict`, `detect`).
 */
export function checkImageBatch(
  x: unknown,
  argument: string,
  stride: number,
  channelsLast: boolean,
  checkFinite: boolean = SYNC_READ_BACKENDS.has(tf.getBackend()),
): asserts x is tf.Tensor4D {
  const layout = channelsLast ? '[N, H, W, 3]' : '[N, 3, H, W]';
  if (!(x instanceof tf.Tensor)) throw new InvalidArgumentError(argument, `a tf.Tensor ${layout}`, describe(x));
  if (x.isDisposed) throw new InvalidArgumentError(argument, `a live tensor ${layout}`, 'a disposed tensor');
  if (x.rank !== 4) throw new InvalidArgumentError(argument, `a rank-4 tensor ${layout}`, `shape ${formatShape(x.shape)}`);
  if (x.dtype !== 'float32') throw new InvalidArgumentError(argument, 'dtype float32', `dtype ${x.dtype}`);
  const [, height, width, channels] = channelsLast ? x.shape : [x.shape[0], x.shape[2], x.shape[3], x.shape[1]];
  if (channels !== 3) {
    throw new InvalidArgumentError(argument, `3 channels on axis ${channelsLast ? 3 : 1} ${layout}`, `shape ${formatShape(x.shape)}`);
  }
  if (height === 0 || width === 0 || height % stride !== 0 || width % stride !== 0 || x.shape[0] === 0) {
    throw new InvalidArgumentError(
      argument,
      `a non-empty batch with height and width multiples of ${stride}`,
      `shape ${formatShape(x.shape)} (${height}x${width})`,
    );
  }
  if (!checkFinite) return;
  const finite = tf.tidy(() => tf.all(tf.isFinite(x)).dataSync()[0]);
  if (!finite) throw new InvalidArgumentError(argument, 'finite values', 'NaN or Infinity');
}

/** The finiteness check of `checkImageBatch`, reading back asynchronously (fine on every backend). */
export async function checkFiniteAsync(x: tf.Tensor, argument: string): Promise<void> {
  const all = tf.tidy(() => tf.all(tf.isFinite(x)));
  const [finite] = await all.data();
  all.dispose();
  if (!finite) throw new InvalidArgumentError(argument, 'finite values', 'NaN or Infinity');
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}
