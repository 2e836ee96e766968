import * as tf from '@tensorflow/tfjs-core';

import type { GateAndResidual } from './gate-and-residual.js';

/** What a batch norm folds into: the convolution before it. */
export interface FoldableConvolution {
  /** `[k, k, in, out]` for a convolution, `[k, k, channels, 1]` for a depthwise one (tfjs layouts). */
  readonly weight: tf.Variable;
  /** `[out]`, or null for a convolution without bias. */
  readonly bias: tf.Variable | null;
  /** Whether `weight` is depthwise: the batch norm's channels are then its third axis, not its fourth. */
  readonly depthwise: boolean;
  /** The convolution as trained: `[N, H, W, in]` -> `[N, H', W', out]`. */
  forward(x: tf.Tensor4D): tf.Tensor4D;
  /**
   * The same geometry with another filter and bias, and the activation (in the output pass where it can);
   * `extras`' gate on the input and residual on the output too.
   */
  forwardFused(x: tf.Tensor4D, filter: tf.Tensor4D, bias: tf.Tensor1D, activation: 'linear' | 'relu6' | 'swish', extras?: GateAndResidual): tf.Tensor4D;
}

/** The filter and bias of a convolution with a batch norm folded in. */
export interface FoldedWeights {
  /** The convolution's filter, each output channel scaled by the batch norm's `gamma / sqrt(var + eps)`. */
  filter: tf.Tensor4D;
  /** `[out]`: `beta + (convBias - mean) * scale`. */
  bias: tf.Tensor1D;
}

/** The batch norm's parameters a fold reads. */
export interface BatchNormTensors {
  gamma: tf.Tensor;
  beta: tf.Tensor;
  mean: tf.Tensor;
  variance: tf.Tensor;
  eps: number;
}

/**
 * `conv` followed by an inference-mode batch norm, as one convolution:
 * `(conv(x, w) + b - mean) * scale + beta = conv(x, w * scale) + (beta + (b - mean) * scale)` with
 * `scale = gamma / sqrt(var + eps)` per output channel; equal up to float32 rounding of the reordered sums.
 * Returns new tensors the caller disposes.
 */
export function foldBatchNorm(conv: FoldableConvolution, norm: BatchNormTensors): FoldedWeights {
  return tf.tidy(() => {
    // As the unfolded inference pass computes it: the same scale, so the two differ only by where it is applied.
    const scale = tf.mul(norm.gamma, tf.rsqrt(tf.add(norm.variance, norm.eps))) as tf.Tensor1D;
    const channels = scale.shape[0];
    const filterScale = conv.depthwise ? tf.reshape(scale, [channels, 1]) : scale;
    const filter = tf.mul(conv.weight, filterScale) as tf.Tensor4D;
    const centred = conv.bias ? tf.sub(conv.bias, norm.mean) : tf.neg(norm.mean);
    const bias = tf.add(norm.beta, tf.mul(centred, scale)) as tf.Tensor1D;
    return { filter, bias };
  });
}

/**
 * Folded weights kept between inference passes, rebuilt when a tensor they came from changes: a
 * `Variable.assign` (an optimizer step, `loadStateDict`) gives the variable a new `dataId`, which the cache
 * compares by identity. Owns the tensors it holds: `release()` frees them.
 */
export class FoldCache {
  private sources: readonly object[] = [];
  private weights: FoldedWeights | null = null;

  /** The weights folded from `sources` (compared by `dataId`), built by `build` when they changed or are absent. */
  get(sources: readonly tf.Tensor[], build: () => FoldedWeights): FoldedWeights {
    const ids = sources.map((tensor) => tensor.dataId);
    if (this.weights === null || ids.length !== this.sources.length || ids.some((id, i) => id !== this.sources[i])) {
      this.release();
      this.weights = build();
      tf.keep(this.weights.filter);
      tf.keep(this.weights.bias);
      this.sources = ids;
    }
    return this.weights;
  }

  /** Tensors held: 2 while folded weights are cached, else 0. */
  get tensorCount(): number {
    return this.weights === null ? 0 : 2;
  }

  /** Frees the cached weights (the next `get` builds them again). */
  release(): void {
    if (this.weights !== null) tf.dispose([this.weights.filter, this.weights.bias]);
    this.weights = null;
    this.sources = [];
  }
}
