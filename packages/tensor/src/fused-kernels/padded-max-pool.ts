/**
 * The contract of the fused padded max-pool kernel, which `maxPoolSame` runs in inference passes (no
 * gradient recorded) where a kernel package has registered it for the active backend (`@edet/wasm-kernels`
 * does, for wasm). float32 only; no gradient.
 *
 * `EdetPaddedMaxPool`: input `x` `[N, H, W, C]`; attributes `filterSize`, `stride`, `pads`
 * (`[top, bottom, left, right]`, each from 0) and `padValue`. Output `[N, OH, OW, C]` with
 * `OH = floor((H + top + bottom - filterSize) / stride) + 1` (OW alike): the max-pool ('valid') of `x`
 * padded with `padValue`, as `tf.maxPool(tf.pad(x, pads, padValue), filterSize, stride, 'valid')`. A
 * window is scanned row by row and a value replaces the running maximum only when it is greater, so NaN
 * never wins (a window of NaN alone gives -Infinity) and of equal values the first stays; a 1x1 window at
 * stride 1 copies the padded map, NaN included, as tfjs's kernels do. The padded input must be at least
 * `filterSize` on each side.
 */

/** Name of the kernel. */
export const PADDED_MAX_POOL = 'EdetPaddedMaxPool';

/** The attributes of `EdetPaddedMaxPool`. */
export interface PaddedMaxPoolAttrs {
  filterSize: number;
  stride: number;
  /** `[top, bottom, left, right]`. */
  pads: [number, number, number, number];
  padValue: number;
}
