/**
 * The contract of the fused depthwise-convolution kernel, which `DepthwiseConv2d` runs in inference passes
 * (no gradient recorded) where a kernel package has registered it for the active backend
 * (`@edet/wasm-kernels` does, for wasm). float32 only; no gradient.
 *
 * `EdetDepthwiseConv2d`: inputs `x` `[N, H, W, C]`, `filter` `[kh, kw, C, 1]` and optionally `bias` `[C]`;
 * attributes `strides` and `dilations` (`[h, w]`), `pad` (tfjs's: `'same'`, `'valid'` or explicit
 * `[[0, 0], [top, bottom], [left, right], [0, 0]]`) and `activation`. Output `[N, H', W', C]` (tfjs's
 * geometry): `activation(depthwiseConv2d(x, filter) + bias)`, taps in the padding skipped.
 */

/** Name of the kernel. */
export const DEPTHWISE_CONV = 'EdetDepthwiseConv2d';

/**
 * The epilogues of the fused inference convolutions (`EdetDepthwiseConv2d`, `EdetPointwiseConv2d`): none,
 * `min(max(v, 0), 6)`, `v * sigmoid(v)`, or `sigmoid(v)`.
 */
export type FusedConvActivation = 'linear' | 'relu6' | 'swish' | 'sigmoid';

/** The attributes of `EdetDepthwiseConv2d`. */
export interface DepthwiseConvAttrs {
  strides: [number, number];
  dilations: [number, number];
  pad: 'same' | 'valid' | [[0, 0], [number, number], [number, number], [0, 0]];
  activation: FusedConvActivation;
}
