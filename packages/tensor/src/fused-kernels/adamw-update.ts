/**
 * The contract of the fused AdamW update kernel, which `AdamW` runs where a kernel package has registered it
 * for the active backend (`@edet/wasm-kernels` does, for wasm):
 * `m' = b1 m + (1 - b1) g`, `v' = b2 v + (1 - b2) g^2`, `w' = w - stepSize m' / (sqrt(v') + eps) - decay w`.
 * Inputs `variable`, `m`, `v`, `gradient` (float32, one shape); outputs `[w', m', v']`, new tensors.
 */

/** Name of the fused AdamW update kernel. */
export const ADAMW_UPDATE_KERNEL = 'EdetAdamWUpdate';

/** Attributes of `EdetAdamWUpdate`. */
export interface AdamWUpdateAttrs {
  beta1: number;
  beta2: number;
  /** `lr * sqrt(1 - beta2^t) / (1 - beta1^t)`: the bias corrections folded into the step size. */
  stepSize: number;
  /** `epsilon * sqrt(1 - beta2^t)`, the epsilon that matches the folded step size. */
  epsilon: number;
  /** `lr * weightDecay`, or 0 for a variable without decay. */
  decay: number;
}
