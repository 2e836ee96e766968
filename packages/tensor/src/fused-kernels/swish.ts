/**
 * The contract of the fused swish kernels, which the `swish` op runs where a kernel package has registered
 * them for the active backend (`@edet/wasm-kernels` does, for wasm). float32 only; no attributes.
 *
 * `EdetSwish`: input `x`; output `x * sigmoid(x)`, same shape.
 * `EdetSwishGrad`: inputs `dy` and `x` (same shape); output `dy * sigmoid(x) * (1 + x * (1 - sigmoid(x)))`.
 */

/** Name of the forward kernel. */
export const SWISH = 'EdetSwish';
/** Name of the gradient kernel. */
export const SWISH_GRAD = 'EdetSwishGrad';
