import * as tf from '@tensorflow/tfjs-core';
import { BatchNorm2d, ModuleList, NamedConv2d } from '@edet/tensor';

/**
 * 1x1 conv (with bias) -> BN, no activation: how the first BiFPN layer brings a backbone map to the BiFPN
 * width. Children `0` (conv) and `1` (BN), as the official `nn.Sequential` names them.
 */
export class LateralProjection extends ModuleList {
  /** @param bias the conv's bias, redundant before the batch norm (effdet's `redundant_bias=False` has none). */
  constructor(inChannels: number, outChannels: number, bias = true) {
    super([new NamedConv2d(inChannels, outChannels, 1, { bias }), new BatchNorm2d(outChannels)]);
  }

  /** `[N, H, W, in]` -> `[N, H, W, out]`; the caller disposes the result. */
  forward(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      const [conv, bn] = this.items as [NamedConv2d, BatchNorm2d];
      return bn.forwardConv(conv.conv, x);
    });
  }
}
