import type * as tf from '@tensorflow/tfjs-core';

import type { EfficientNetOptions } from './options.js';
import { type FeaturePyramid, EfficientNetTrunk } from './trunk.js';

/**
 * EfficientNet without its classifier head, as EfficientDet uses it: children `_conv_stem`, `_bn0`,
 * `_blocks` only, so its keys are the checkpoint's `backbone_net.model.*` keys with that prefix removed.
 *
 * `forward(x)`: `[N, H, W, 3]` (NHWC) -> `[C3, C4, C5]` (see `featureInfo`; for B0 the outputs of blocks 4,
 * 10 and 15 with 40, 112 and 320 channels at 1/8, 1/16 and 1/32 of the input). `options.numClasses` and
 * `options.dropoutRate` are ignored. The backbone owns every variable, including those its `stages` expose;
 * `dispose()` frees them.
 */
export class EfficientNetBackbone extends EfficientNetTrunk {
  constructor(options: EfficientNetOptions) {
    super(options);
  }

  /** C3, C4, C5 of `x`; returns new tensors the caller disposes. Same as `extractPyramid`. */
  forward(x: tf.Tensor4D): FeaturePyramid {
    return this.extractPyramid(x);
  }
}
