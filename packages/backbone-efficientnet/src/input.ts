import * as tf from '@tensorflow/tfjs-core';

import { InvalidArgumentError, formatShape } from '@edet/tensor';

/** Throws `InvalidArgumentError` naming `x` unless it is a float32 `[N, H, W, 3]` tensor with N, H, W > 0. */
export function checkImageBatch(x: unknown, argument = 'x'): asserts x is tf.Tensor4D {
  const expected = 'a float32 [N, H, W, 3] tensor (NHWC)';
  if (!(x instanceof tf.Tensor)) throw new InvalidArgumentError(argument, expected, x === null ? 'null' : typeof x);
  if (x.rank !== 4) throw new InvalidArgumentError(argument, expected, `rank ${x.rank}, shape ${formatShape(x.shape)}`);
  if (x.shape[3] !== 3) throw new InvalidArgumentError(argument, expected, `${x.shape[3]} channels, shape ${formatShape(x.shape)}`);
  if (x.shape[0] < 1 || x.shape[1] < 1 || x.shape[2] < 1) throw new InvalidArgumentError(argument, expected, `empty shape ${formatShape(x.shape)}`);
  if (x.dtype !== 'float32') throw new InvalidArgumentError(argument, expected, `dtype ${x.dtype}`);
}
