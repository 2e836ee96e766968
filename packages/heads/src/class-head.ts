import * as tf from '@tensorflow/tfjs-core';

import { HeadTower, type HeadOptions } from './head-tower.js';

/** Prior probability of a class at initialisation (RetinaNet / official EfficientDet): scores start near 0.01. */
export const CLASS_PRIOR_PROBABILITY = 0.01;

/**
 * The class head (official name `classifier`): per anchor, one score per class. The prediction layer's bias
 * starts at `-log((1 - prior) / prior)`, so an untrained head predicts about 1% everywhere instead of 50%:
 * otherwise the focal loss of ~50k negative anchors swamps the first training steps.
 * `forwardLogits(features)` -> `[N, anchors, numClasses]` logits (what losses want);
 * `forward(features)` -> the same after a sigmoid, as the official model returns. Callers dispose results.
 */
export class ClassHead extends HeadTower {
  constructor(
    options: HeadOptions,
    readonly numClasses: number,
  ) {
    super(options, numClasses);
    const bias = this.header.pointwiseConv.conv.bias as tf.Variable;
    tf.tidy(() => bias.assign(tf.fill(bias.shape, -Math.log((1 - CLASS_PRIOR_PROBABILITY) / CLASS_PRIOR_PROBABILITY))));
  }

  forwardLogits(features: readonly tf.Tensor4D[]): tf.Tensor3D {
    return this.predict(features);
  }

  forward(features: readonly tf.Tensor4D[]): tf.Tensor3D {
    return this.predict(features, 'sigmoid');
  }
}
