import type { FusedConvActivation } from './depthwise-conv.js';

/**
 * The contract of the fused BiFPN fusion kernel, which a BiFPN layer runs in inference passes (no gradient
 * recorded) where a kernel package has registered it for the active backend (`@edet/wasm-kernels` does, for
 * wasm). float32 only; no gradient.
 *
 * `EdetWeightedSum`: inputs `x0`, `x1` and optionally `x2` (maps of one shape) and `weights` (the raw fusion
 * parameter, one value per map); attributes `epsilon` and `activation`. Output, the maps' shape:
 * `activation(sum_i w_i * x_i)` with `w = relu(weights) / (sum(relu(weights)) + epsilon)` ("fast normalised
 * fusion"), the products added in input order.
 */

/** Name of the kernel. */
export const WEIGHTED_SUM = 'EdetWeightedSum';

/** The attributes of `EdetWeightedSum`. */
export interface WeightedSumAttrs {
  epsilon: number;
  activation: FusedConvActivation;
}
