import * as tf from '@tensorflow/tfjs-core';

import { BatchNorm2d, Linear, NamedConv2d, globalAveragePool } from '@edet/tensor';

import { dropout } from './drop-connect.js';
import type { EfficientNetOptions } from './options.js';
import { EfficientNetTrunk } from './trunk.js';

/**
 * The EfficientNet-B0..B7 image classifier, keyed like efficientnet-pytorch (`_conv_stem`, `_bn0`,
 * `_blocks.{i}.*`, `_conv_head`, `_bn1`, `_fc`), so its `stateDict()` round-trips through PyTorch and its
 * stages migrate into an `EfficientNetBackbone` one by one.
 *
 * `forward(x)`: `[N, H, W, 3]` -> logits `[N, numClasses]`. Training mode uses BN batch statistics,
 * drop-connect in the residual blocks and dropout before `_fc`; `eval()` turns all three off.
 * The classifier owns its variables; `dispose()` frees them.
 */
export class EfficientNet extends EfficientNetTrunk {
  /** 1x1 conv to `roundFilters(1280)`, no bias. */
  readonly convHead: NamedConv2d;
  readonly bn1: BatchNorm2d;
  readonly fc: Linear;

  constructor(options: EfficientNetOptions) {
    super(options);
    const lastChannels = this.plan.blocks[this.plan.blocks.length - 1].outChannels;
    this.convHead = this.addModule('_conv_head', new NamedConv2d(lastChannels, this.plan.headChannels, 1, { bias: false }));
    this.bn1 = this.addModule('_bn1', new BatchNorm2d(this.plan.headChannels));
    this.fc = this.addModule('_fc', new Linear(this.plan.headChannels, this.plan.options.numClasses));
  }

  /**
   * efficientnet-pytorch's `extract_features`: stem, blocks, `_conv_head`, `_bn1`, swish (relu6 for Lite).
   * `[N, H, W, 3]` -> `[N, ceil(H/32), ceil(W/32), headChannels]`; the caller disposes the result.
   */
  extractFeatures(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      const [last] = this.runTrunk(x, [this.plan.blocks.length - 1]);
      return this.bn1.forwardConv(this.convHead.conv, last, this.plan.options.activation);
    });
  }

  /** Logits `[N, numClasses]` (no softmax) for `x` `[N, H, W, 3]`; the caller disposes the result. */
  forward(x: tf.Tensor4D): tf.Tensor2D {
    return tf.tidy(() => {
      let pooled = tf.reshape(globalAveragePool(this.extractFeatures(x)), [x.shape[0], -1]) as tf.Tensor2D;
      const rate = this.plan.options.dropoutRate;
      if (this.training && rate > 0) pooled = dropout(pooled, rate, this.random);
      return this.fc.forward(pooled);
    });
  }
}
