/**
 * The contract of the fused sigmoid focal-loss kernels, which `sigmoidFocalLoss` runs where a kernel package
 * has registered them for the active backend (`@edet/wasm-kernels` does, for wasm). float32 inputs, 0/1
 * targets; the weights (e.g. the mask of ignored anchors) are folded in.
 */

/** Name of the forward kernel. Inputs: `logits`, `targets`, optional `weights`; attrs `FocalLossKernelAttrs`. */
export const FOCAL_LOSS_KERNEL = 'EdetSigmoidFocalLoss';

/** Name of the gradient kernel. Inputs: `dy`, `logits`, `targets`, optional `weights`; the same attrs. */
export const FOCAL_LOSS_GRAD_KERNEL = 'EdetSigmoidFocalLossGrad';

/** Attributes of both focal-loss kernels. */
export interface FocalLossKernelAttrs {
  /** Weight of positive targets; negatives get `1 - alpha`. */
  alpha: number;
  /** Focusing exponent, >= 0. */
  gamma: number;
}

/**
 * True when `weightsShape` is a shape the kernels take for `logitsShape`: the same, or the same with a last
 * axis of 1 (one weight per row, e.g. per anchor). Other broadcasts are the caller's to apply.
 */
export function focalLossKernelTakesWeights(weightsShape: readonly number[], logitsShape: readonly number[]): boolean {
  if (weightsShape.length !== logitsShape.length || logitsShape.length === 0) return false;
  const last = logitsShape.length - 1;
  return weightsShape.every((size, i) => size === logitsShape[i] || (i === last && size === 1));
}
