/**
 * The contract of the fused max-and-argmax kernel, which `maxArgMax` runs where a kernel package has
 * registered it for the active backend (`@edet/wasm-kernels` does, for wasm). No attributes.
 *
 * `EdetMaxArgMax`: input `x` `[..., C]`, float32, rank >= 1. Outputs `[max, argMax]`, both `[...]` (x's shape
 * without its last axis): `max` float32 and `argMax` int32 over the last axis, read in one pass, exactly
 * `tf.max(x, -1)` and `tf.argMax(x, -1)` as tfjs's cpu backend computes them: the first index of equal
 * maxima; a row holding a NaN has a NaN maximum, and its index is 0 when its first element is NaN and
 * otherwise that of the maximum of the other elements; a row of size 0 (C = 0) gives NaN and 0.
 */

/** Name of the fused max-and-argmax kernel. */
export const MAX_ARG_MAX = 'EdetMaxArgMax';
