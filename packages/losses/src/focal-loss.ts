import * as tf from '@tensorflow/tfjs-core';

import { releaseAfterBackward } from '@edet/tensor';

import {
  FOCAL_LOSS_GRAD_KERNEL,
  FOCAL_LOSS_KERNEL,
  type FocalLossKernelAttrs,
  focalLossKernelTakesWeights,
} from './focal-loss-kernel.js';
import { checkSameShape, checkNumber } from './validation.js';
import { checkReduction, checkWeights, reduceLoss, type ReductionOptions } from './reduction.js';

/** Options of `sigmoidFocalLoss`. */
export interface FocalLossOptions extends ReductionOptions {
  /** Weight of positive targets; negatives get `1 - alpha`. In [0, 1]. Default 0.25. */
  alpha?: number;
  /** Focusing exponent, >= 0 (0 gives alpha-weighted cross-entropy). Default 2.0; official training uses 1.5. */
  gamma?: number;
}

/**
 * Sigmoid focal loss (Lin et al., 2017), `FL = -alpha_t (1 - p_t)^gamma log(p_t)` with `p = sigmoid(logit)`,
 * `p_t = p` where the target is 1 and `1 - p` where it is 0, and `alpha_t = alpha` / `1 - alpha` likewise.
 *
 * Computed from logits, never from probabilities, so it stays finite and exact for any logit (±1e4 included):
 * with the margin `z = logit` for positives and `-logit` for negatives,
 * `-log(p_t) = softplus(-z)` and `(1 - p_t)^gamma = exp(-gamma * softplus(z))`. No log of 0, no `pow` at a
 * zero base, so no NaN gradients for any gamma > 0 (1.5 included) even where `p_t` rounds to 1.
 *
 * Targets must be 0 or 1 (one-hot); soft labels are not supported, because the margin form above is exact only
 * for hard labels.
 *
 * On the wasm backend, once `registerWasmKernels` (from `@edet/wasm-kernels`) has run, the weighted per-element
 * loss and its gradient are one fused kernel each (in float64, ~2x faster over D0's class logits); other backends
 * compose it from tfjs ops. Either way only the logits get a gradient; there the targets and weights are
 * constants (masks), not differentiable inputs.
 *
 * @param logits `[...]` raw classification outputs, e.g. `[N, A, C]`. Not disposed.
 * @param targets `[...]` same shape, 0/1 (float or int). Not disposed.
 * @returns a new tensor the caller disposes: the scalar sum (default) or mean, or `[...]` per element with
 *   `reduction: 'none'`. Weighted by `options.weights` when given.
 */
export function sigmoidFocalLoss(logits: tf.Tensor, targets: tf.Tensor, options: FocalLossOptions = {}): tf.Tensor {
  const { alpha = 0.25, gamma = 2.0, reduction = 'sum', weights } = options;
  checkSameShape('logits', logits, 'targets', targets);
  checkNumber('alpha', alpha, 'a number in [0, 1]', (value) => value >= 0 && value <= 1);
  checkNumber('gamma', gamma, 'a number >= 0', (value) => value >= 0);
  checkReduction(reduction);
  checkWeights(weights, logits.shape);
  return tf.tidy(() => {
    // Cast only when needed: the wasm backend's Cast copies even float32 to float32 (17 MB per D0 image here).
    const target = asFloat32(targets);
    if (canFuse(logits, weights)) {
      // The weights go into the kernel, which saves a full-size Multiply forward and backward.
      const kernelWeights = weights == null ? undefined : asFloat32(weights);
      return reduceLoss(fusedElementLoss({ alpha, gamma }, target, kernelWeights)(logits), reduction);
    }
    const elementLoss = focalElementLoss(alpha, gamma)(logits, target);
    return reduceLoss(elementLoss, reduction, weights);
  });
}

/** `x` itself when float32, else a float32 copy (owned by the caller's tidy). */
function asFloat32(x: tf.Tensor): tf.Tensor {
  return x.dtype === 'float32' ? x : tf.cast(x, 'float32');
}

/**
 * True when the active backend has the fused focal-loss kernels (`@edet/wasm-kernels` registers them on wasm,
 * with `registerWasmKernels`) and they take these inputs (float32 logits; weights, if any, of the
 * logits' shape or that with a last axis of 1). Elsewhere the loss is composed of tfjs ops.
 */
function canFuse(logits: tf.Tensor, weights: tf.Tensor | undefined): boolean {
  const backend = tf.getBackend();
  return (
    tf.getKernel(FOCAL_LOSS_KERNEL, backend) != null &&
    tf.getKernel(FOCAL_LOSS_GRAD_KERNEL, backend) != null &&
    logits.dtype === 'float32' &&
    (weights == null || focalLossKernelTakesWeights(weights.shape, logits.shape))
  );
}

/**
 * `focalElementLoss` times the weights, as one kernel forward and one backward. Only the logits are an input
 * of the op: the targets and weights are constants saved for the backward pass, so no zero gradient the size
 * of the targets is made for them.
 */
function fusedElementLoss(attrs: FocalLossKernelAttrs, target: tf.Tensor, weights: tf.Tensor | undefined) {
  const constants: tf.NamedTensorMap = weights == null ? { targets: target } : { targets: target, weights };
  return tf.customGrad(((logits: tf.Tensor, save: tf.GradSaveFunc) => {
    save(weights == null ? [logits, target] : [logits, target, weights]);
    const value = tf.engine().runKernel(FOCAL_LOSS_KERNEL, { logits, ...constants }, { ...attrs }) as tf.Tensor;
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [x, t, w] = saved;
        const inputs: tf.NamedTensorMap = w === undefined ? { dy, logits: x, targets: t } : { dy, logits: x, targets: t, weights: w };
        const dx = tf.engine().runKernel(FOCAL_LOSS_GRAD_KERNEL, inputs, { ...attrs }) as tf.Tensor;
        releaseAfterBackward(dy, saved);
        return [dx];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
}

/**
 * The per-element focal loss as one op with its gradient written out, so the tape keeps only the logits and
 * targets instead of every intermediate of the [N, anchors, classes] computation. With margin z = x (2t - 1):
 * loss = alpha_t softplus(-z) exp(-gamma softplus(z)), i.e. -alpha_t (1 - p_t)^gamma log p_t, and
 * d loss / dz = alpha_t (1 - p_t)^gamma (gamma p_t log p_t - (1 - p_t)). Targets get no gradient.
 */
function focalElementLoss(alpha: number, gamma: number) {
  const alphaFor = (target: tf.Tensor) => tf.add(tf.mul(target, 2 * alpha - 1), 1 - alpha); // alpha_t
  return tf.customGrad(((logits: tf.Tensor, target: tf.Tensor, save: tf.GradSaveFunc) => {
    save([logits, target]);
    // 2t - 1 is +1 for positives and -1 for negatives: the margin z is large when the prediction is right.
    const margin = tf.mul(logits, tf.sub(tf.mul(target, 2), 1));
    const crossEntropy = tf.softplus(tf.neg(margin)); // -log(p_t)
    const weighted = tf.mul(alphaFor(target), crossEntropy);
    // softplus(z) = softplus(-z) + z: one softplus pass instead of two (the costliest op here).
    const value = gamma === 0 ? weighted : tf.mul(weighted, tf.exp(tf.mul(tf.add(crossEntropy, margin), -gamma)));
    return {
      value,
      // tfjs runs a custom gradient outside any tidy scope; this one frees the temporaries at once.
      gradFunc: (dy: tf.Tensor, [x, t]: tf.Tensor[]) => tf.tidy(() => {
        const sign = tf.sub(tf.mul(t, 2), 1);
        const z = tf.mul(x, sign);
        const minusLogPt = tf.softplus(tf.neg(z)); // -log p_t
        const minusLogOneMinusPt = tf.add(minusLogPt, z); // -log(1 - p_t) = softplus(z)
        const oneMinusPt = tf.exp(tf.neg(minusLogOneMinusPt));
        let dz = tf.neg(oneMinusPt);
        if (gamma !== 0) {
          const modulation = tf.exp(tf.mul(minusLogOneMinusPt, -gamma)); // (1 - p_t)^gamma
          const pt = tf.exp(tf.neg(minusLogPt));
          dz = tf.mul(modulation, tf.sub(tf.mul(tf.mul(pt, tf.neg(minusLogPt)), gamma), oneMinusPt));
        }
        const dx = tf.mul(tf.mul(dy, tf.mul(alphaFor(t), dz)), sign);
        releaseAfterBackward(dy, [x, t]);
        return [dx, tf.zerosLike(t)];
      }),
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
}
