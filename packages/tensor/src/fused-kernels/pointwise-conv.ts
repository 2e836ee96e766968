import type { FusedConvActivation } from './depthwise-conv.js';

/**
 * The contract of the fused 1x1-convolution kernel, which `Conv2d` (1x1, stride 1) runs in inference passes
 * (no gradient recorded) where a kernel package has registered it for the active backend
 * (`@edet/wasm-kernels` does, for wasm). float32 only; no gradient.
 *
 * `EdetPointwiseConv2d`: inputs `x` `[N, H, W, in]`, `filter` `[1, 1, in, out]` and optionally `bias`
 * `[out]`, `inputScale` `[N, in]` and `residual` `[N, H, W, out]`; attribute `activation`. Output
 * `[N, H, W, out]`: `activation(conv2d(x * inputScale, filter) + bias) + residual`, the scale multiplying
 * every pixel of its image (a squeeze-and-excitation gate; a kernel may scale the filter instead, equal up
 * to float32 rounding) and the residual added after the activation (a block's skip connection).
 */

/** Name of the kernel. */
export const POINTWISE_CONV = 'EdetPointwiseConv2d';

/** The attributes of `EdetPointwiseConv2d`. */
export interface PointwiseConvAttrs {
  /** The epilogue (as `EdetDepthwiseConv2d`'s). */
  activation: FusedConvActivation;
}
