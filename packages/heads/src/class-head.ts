import * as tf from '@tensorflow/tfjs-core';

import { HeadTower, type HeadOptions } from './head-tower.js';

/**
 * The class head (official name `classifier`): per anchor, one score per class.
 * `forwardLogits(features)` -> `[N, anchors, numClasses]` logits (what losses want);
 * `forward(features)` -> the same after a sigmoid, as the official model returns. Callers dispose results.
 */
export class ClassHead extends HeadTower {
  constructor(
    options: HeadOptions,
    readonly numClasses: number,
  ) {
    super(options, numClasses);
  }

  forwardLogits(features: readonly tf.Tensor4D[]): tf.Tensor3D {
    return this.predict(features);
  }

  forward(features: readonly tf.Tensor4D[]): tf.Tensor3D {
    return tf.tidy(() => tf.sigmoid(this.predict(features)));
  }
}
