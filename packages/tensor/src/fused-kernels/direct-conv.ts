import type { DepthwiseConvAttrs } from './depthwise-conv.js';

/**
 * The contract of the fused direct-convolution kernel, which `Conv2d` runs for a k x k convolution of few
 * input channels (the stem: 3) in inference passes (no gradient recorded) where a kernel package has
 * registered it for the active backend (`@edet/wasm-kernels` does, for wasm). float32 only; no gradient.
 *
 * `EdetConv2d`: inputs `x` `[N, H, W, in]`, `filter` `[kh, kw, in, out]` and optionally `bias` `[out]`;
 * attributes as `EdetDepthwiseConv2d`'s (`strides`, `dilations`, `pad`, `activation`). Output
 * `[N, H', W', out]` (tfjs's geometry): `activation(conv2d(x, filter) + bias)`, taps in the padding skipped.
 */

/** Name of the kernel. */
export const DIRECT_CONV = 'EdetConv2d';

/** The attributes of `EdetConv2d` (those of `EdetDepthwiseConv2d`). */
export type DirectConvAttrs = DepthwiseConvAttrs;
