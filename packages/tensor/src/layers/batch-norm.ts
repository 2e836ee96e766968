import * as tf from '@tensorflow/tfjs-core';

import { Module } from '../module.js';
import { type Activation, swish } from './activations.js';
import { FoldCache, type FoldableConvolution, foldBatchNorm } from './batch-norm-fold.js';
import { fusedBatchNormTraining } from './fused-batch-norm.js';
import { type GateAndResidual, addResidual, gateInput } from './gate-and-residual.js';

/**
 * Batch normalisation over the channel axis of NHWC input, with PyTorch parameter names
 * (`weight`, `bias`, `running_mean`, `running_var`, all `[channels]`).
 *
 * Inference: `y = (x - running_mean) / sqrt(running_var + eps) * weight + bias`.
 * Training: batch statistics normalise, and the running statistics move towards them by `momentum`
 * (PyTorch convention: 0.01 means 1% new, with the unbiased batch variance).
 * `forward(x)`: `[N, H, W, C]` -> same shape; the caller disposes the result.
 *
 * `forwardConv(conv, x)` runs the convolution before the norm too, and in inference mode folds the norm
 * into that convolution's filter and bias; the folded weights are cached on the layer (two tensors, rebuilt
 * when a weight changes, freed by `train()` and `dispose()`).
 */
export class BatchNorm2d extends Module {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable;
  readonly runningMean: tf.Variable;
  readonly runningVar: tf.Variable;
  private readonly foldCache = new FoldCache();

  constructor(
    readonly channels: number,
    readonly eps = 1e-3,
    /** How far the running statistics move towards a training batch's (settable, as PyTorch's `bn.momentum`). */
    public momentum = 0.01,
    /** Whether inference passes through `forwardConv` fold the norm into the convolution (default true). */
    public foldInInference = true,
  ) {
    super();
    this.weight = this.addParameter('weight', tf.ones([channels]));
    this.bias = this.addParameter('bias', tf.zeros([channels]));
    this.runningMean = this.addBuffer('running_mean', tf.zeros([channels]));
    this.runningVar = this.addBuffer('running_var', tf.ones([channels]));
  }

  forward(x: tf.Tensor4D): tf.Tensor4D {
    return this.training ? this.forwardTraining(x, 'none') : this.forwardInference(x);
  }

  /** Batch norm followed by `activation`: the fused swish path, or relu6 after the norm. */
  forwardActivated(x: tf.Tensor4D, activation: Activation): tf.Tensor4D {
    if (activation === 'swish') return this.forwardSwish(x);
    return tf.tidy(() => tf.relu6(this.forward(x)));
  }

  /** `swish(forward(x))`, fused into one op in training mode (see `fusedBatchNormTraining`). */
  forwardSwish(x: tf.Tensor4D): tf.Tensor4D {
    return this.training ? this.forwardTraining(x, 'swish') : tf.tidy(() => swish(this.forwardInference(x)));
  }

  /**
   * `activation(this.forward(conv.forward(x)))` (no activation when `activation` is undefined):
   * `[N, H, W, in]` -> `[N, H', W', C]`, a new tensor the caller disposes. With `extras`, the input is
   * first scaled by `extras.inputScale` and `extras.residual` is added to the result.
   *
   * In inference mode, unless gradients are being recorded or `foldInInference` is off, this norm is folded
   * into `conv` (see `foldBatchNorm`): one convolution with the bias, and relu6, applied in its output pass
   * instead of a convolution and two broadcast passes (swish, the input scale and the residual too, where
   * the convolution has a fused kernel: `EdetDepthwiseConv2d`, `EdetPointwiseConv2d`). Equal to the
   * unfolded pass up to float32 rounding.
   * Under gradient recording the unfolded pass runs, so that gradients reach the convolution's and the
   * norm's own variables.
   */
  forwardConv(conv: FoldableConvolution, x: tf.Tensor4D, activation?: Activation, extras: GateAndResidual = {}): tf.Tensor4D {
    if (this.training || !this.foldInInference || tf.engine().state.gradientDepth > 0) {
      return tf.tidy(() => {
        const y = conv.forward(gateInput(x, extras.inputScale));
        return addResidual(activation === undefined ? this.forward(y) : this.forwardActivated(y, activation), extras.residual);
      });
    }
    const sources = [conv.weight, ...(conv.bias ? [conv.bias] : []), this.weight, this.bias, this.runningMean, this.runningVar];
    const { filter, bias } = this.foldCache.get(sources, () =>
      foldBatchNorm(conv, { gamma: this.weight, beta: this.bias, mean: this.runningMean, variance: this.runningVar, eps: this.eps }),
    );
    return conv.forwardFused(x, filter, bias, activation ?? 'linear', extras);
  }

  /** Its folded weights: 2 while cached, else 0. */
  protected override ownCachedTensorCount(): number {
    return this.foldCache.tensorCount;
  }

  override train(on = true): this {
    // Training changes the weights every step: keep no folded copy around.
    if (on) this.foldCache.release();
    return super.train(on);
  }

  override dispose(): void {
    this.foldCache.release();
    super.dispose();
  }

  private forwardInference(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      // Folded into one scale and shift: two broadcast ops instead of four.
      const scale = tf.mul(this.weight, tf.rsqrt(tf.add(this.runningVar, this.eps)));
      const shift = tf.sub(this.bias, tf.mul(this.runningMean, scale));
      return tf.add(tf.mul(x, scale), shift) as tf.Tensor4D;
    });
  }

  private forwardTraining(x: tf.Tensor4D, activation: 'none' | 'swish'): tf.Tensor4D {
    const { y, statistics } = fusedBatchNormTraining(x, this.weight as tf.Tensor1D, this.bias as tf.Tensor1D, this.eps, activation);
    const count = statistics.count;
    tf.tidy(() => {
      const unbiased = tf.mul(statistics.variance, count / Math.max(count - 1, 1));
      this.runningMean.assign(tf.add(tf.mul(this.runningMean, 1 - this.momentum), tf.mul(statistics.mean, this.momentum)));
      this.runningVar.assign(tf.add(tf.mul(this.runningVar, 1 - this.momentum), tf.mul(unbiased, this.momentum)));
    });
    tf.dispose([statistics.mean, statistics.variance]);
    return y;
  }
}
