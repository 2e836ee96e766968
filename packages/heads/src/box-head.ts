import type * as tf from '@tensorflow/tfjs-core';

import { HeadTower, type HeadOptions } from './head-tower.js';

/**
 * The box head (official name `regressor`): per anchor, box deltas `(dy, dx, dh, dw)`.
 * `forward(features)` -> `[N, anchors, 4]`; the caller disposes the result.
 */
export class BoxHead extends HeadTower {
  constructor(options: HeadOptions) {
    super(options, 4);
  }

  forward(features: readonly tf.Tensor4D[]): tf.Tensor3D {
    return this.predict(features);
  }
}
