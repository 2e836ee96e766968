import * as tf from '@tensorflow/tfjs-core';

import { SQUEEZE_EXCITE, SQUEEZE_EXCITE_GATE } from '../fused-kernels/squeeze-excite.js';
import { swish } from './activations.js';
import type { Conv2d } from './conv2d.js';
import { canUseFusedKernel } from './fused-kernel.js';
import { globalAveragePool } from './global-average-pool.js';

/**
 * Squeeze-and-excitation (EfficientNet's channel gate): `x * sigmoid(expand(swish(reduce(mean))))` with
 * `mean` `[N, 1, 1, C]` the global average pool of `x`, `reduce` a 1x1 convolution `C -> S` and `expand` one
 * `S -> C`, both with a bias. In a pass that records no gradient, where the backend has `EdetSqueezeExcite`
 * (wasm with `@edet/wasm-kernels`), one fused kernel; otherwise the composed ops.
 * `[N, H, W, C]` -> `[N, H, W, C]`; returns a new tensor the caller disposes.
 */
export function squeezeExcite(x: tf.Tensor4D, reduce: Conv2d, expand: Conv2d): tf.Tensor4D {
  const inputs = fusedInputs(SQUEEZE_EXCITE, x, reduce, expand);
  if (inputs !== null) return tf.engine().runKernel(SQUEEZE_EXCITE, inputs) as tf.Tensor4D;
  return tf.tidy(() => tf.mul(x, composedGate(x, reduce, expand)));
}

/**
 * The gate of `squeezeExcite` alone, `sigmoid(expand(swish(reduce(mean))))` `[N, C]`, for a block that
 * applies it in the convolution after it (`GateAndResidual.inputScale`) instead of a pass over the map: one
 * fused kernel (`EdetSqueezeExciteGate`) where `squeezeExcite` would run one, else the composed ops.
 * `[N, H, W, C]` -> `[N, C]`; returns a new tensor the caller disposes.
 */
export function squeezeExciteGate(x: tf.Tensor4D, reduce: Conv2d, expand: Conv2d): tf.Tensor2D {
  const inputs = fusedInputs(SQUEEZE_EXCITE_GATE, x, reduce, expand);
  if (inputs !== null) return tf.engine().runKernel(SQUEEZE_EXCITE_GATE, inputs) as tf.Tensor2D;
  return tf.tidy(() => tf.reshape(composedGate(x, reduce, expand), [x.shape[0], x.shape[3]]));
}

/** The fused kernel `name`'s inputs, when it can run (no gradient recorded, 1x1 convolutions with biases, float32). */
function fusedInputs(name: string, x: tf.Tensor4D, reduce: Conv2d, expand: Conv2d): tf.NamedTensorMap | null {
  const { bias: reduceBias, weight: reduceFilter } = reduce;
  const { bias: expandBias, weight: expandFilter } = expand;
  const fused =
    [reduce, expand].every((conv) => conv.kernelSize === 1 && conv.stride === 1) &&
    reduceBias !== null &&
    expandBias !== null &&
    tf.engine().state.gradientDepth === 0 &&
    canUseFusedKernel(name, [x, reduceFilter, reduceBias, expandFilter, expandBias]);
  return fused ? { x, reduceFilter, reduceBias: reduceBias as tf.Tensor, expandFilter, expandBias: expandBias as tf.Tensor } : null;
}

/** The gate as ops, `[N, 1, 1, C]`. */
function composedGate(x: tf.Tensor4D, reduce: Conv2d, expand: Conv2d): tf.Tensor4D {
  return tf.sigmoid(expand.forward(swish(reduce.forward(globalAveragePool(x)))));
}
