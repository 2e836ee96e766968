import type { FusedConvActivation } from './depthwise-conv.js';

/**
 * The contract of the fused BiFPN fusion kernel, which a BiFPN layer runs in inference passes (no gradient
 * recorded) where a kernel package has registered it for the active backend (`@edet/wasm-kernels` does, for
 * wasm). float32 only; no gradient.
 *
 * `EdetWeightedSum`: inputs `x0`, `x1` and optionally `x2` (maps of one shape) and `weights` (the raw fusion
 * parameter, one value per map); attributes `epsilon` and `activation`. Output, the maps' shape:
 * `activation(sum_i w_i * x_i)` with `w = relu(weights) / (sum(relu(weights)) + epsilon)` ("fast normalised
 * fusion"), the products added in input order. With `upsampleLast`, there are two maps and `x1` is
 * `[N, h, w, C]` with `(h - 1) * 2 < H <= 2h` (and the same for the width): it is upsampled nearest-neighbour
 * by 2 and cropped to `x0`'s size first (`upsampleNearestTo`), a top-down node's resampling in the same pass.
 */

/** Name of the kernel. */
export const WEIGHTED_SUM = 'EdetWeightedSum';

/** The attributes of `EdetWeightedSum`. */
export interface WeightedSumAttrs {
  epsilon: number;
  activation: FusedConvActivation;
  /** The second of two maps is at half resolution, upsampled in the kernel (default false). */
  upsampleLast?: boolean;
}
