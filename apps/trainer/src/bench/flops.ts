import type { KernelRecord } from './kernel-classes.js';

/**
 * Multiply-adds of one convolution kernel run, from its shapes (NHWC, as edet's layers run them):
 * `Conv2D` `[n, oh, ow, oc] * kh * kw * ic` with the filter `[kh, kw, ic, oc]`; `DepthwiseConv2dNative`
 * `[n, oh, ow, ic * m] * kh * kw` with the filter `[kh, kw, ic, m]`; edet's fused `EdetPointwiseConv2d`,
 * `EdetConv2d` and `EdetDepthwiseConv2d` count as those, and `EdetSqueezeExcite` as its two 1x1
 * convolutions of one pixel per image (`n * C * S * 2` with the reduce filter `[1, 1, C, S]`). Any other
 * kernel counts 0: the
 * elementwise work of a forward pass (batch norm, activations, adds) is a few percent of its arithmetic and is
 * left out, as the published FLOP counts of EfficientDet do.
 */
export function kernelMacs(record: KernelRecord): number {
  const filter = record.inputShapes[1];
  const [output] = record.outputShapes;
  if (filter == null || output === undefined || filter.length !== 4 || output.length !== 4) return 0;
  const outputElements = output[0] * output[1] * output[2] * output[3];
  switch (record.name) {
    case 'Conv2D':
    case 'FusedConv2D':
    case 'EdetPointwiseConv2d':
    case 'EdetConv2d':
      return outputElements * filter[0] * filter[1] * filter[2];
    case 'DepthwiseConv2dNative':
    case 'FusedDepthwiseConv2D':
    case 'EdetDepthwiseConv2d':
      return outputElements * filter[0] * filter[1];
    case 'EdetSqueezeExcite':
      return output[0] * filter[2] * filter[3] * 2;
    default:
      return 0;
  }
}

/** Multiply-adds of the convolutions among `records` (one forward pass, the whole batch). */
export function convolutionMacs(records: readonly KernelRecord[]): number {
  return records.reduce((sum, record) => sum + kernelMacs(record), 0);
}

/** Effective GFLOP/s: two FLOPs per multiply-add, `macs` done in `milliseconds`. */
export function gflopPerSecond(macs: number, milliseconds: number): number {
  return (2 * macs) / (milliseconds * 1e6);
}
