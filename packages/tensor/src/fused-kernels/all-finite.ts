/**
 * The contract of the finiteness check kernel, which `allFinite` runs where a kernel package has
 * registered it for the active backend (`@edet/wasm-kernels` does, for wasm). float32 only; no gradient.
 *
 * `EdetAllFinite`: input `x` of any shape; output a bool scalar, true when no value of `x` is NaN or
 * +/-Infinity (true for an empty `x`), as `tf.all(tf.isFinite(x))`.
 */

/** Name of the kernel. */
export const ALL_FINITE = 'EdetAllFinite';
