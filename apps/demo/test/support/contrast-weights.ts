import * as tf from '@tensorflow/tfjs-core';
import { EfficientDet, type EfficientDetConfig } from '@edet/model';

import { UNTRAINED_MODEL } from '../../src/config.js';

/**
 * How the class head's last layer is changed. An untrained head scores every anchor 0.0100 to 0.0101: the
 * order of ~49k near-equal scores would then be decided by float rounding, which differs from backend to
 * backend. Multiplying the layer's weights spreads the logits (std ~0.006 -> ~1.5) while keeping what
 * the random network computes from the image; the bias moves the scores to 0.05-0.4.
 */
export const CONTRAST = { weightScale: 250, bias: -2 } as const;

/**
 * The demo's seeded untrained model (or `config`'s) with `CONTRAST` applied to its class head, as safetensors
 * bytes: a test model whose detections are well separated, so that backends can be compared detection by
 * detection. A model built by name records it (and its input size) in the file's metadata, and the demo
 * then builds that model.
 */
export async function contrastWeights(config: EfficientDetConfig = UNTRAINED_MODEL): Promise<Uint8Array> {
  const model = new EfficientDet({ ...config });
  try {
    const parameters = model.namedParameters();
    const weight = parameters.get('classifier.header.pointwise_conv.conv.weight');
    const bias = parameters.get('classifier.header.pointwise_conv.conv.bias');
    if (weight === undefined || bias === undefined) throw new Error('the class head has no header.pointwise_conv.conv');
    const scaled = tf.mul(weight, CONTRAST.weightScale);
    const shifted = tf.fill(bias.shape, CONTRAST.bias);
    weight.assign(scaled);
    bias.assign(shifted);
    tf.dispose([scaled, shifted]);
    // `synthetic` makes the demo (and `edet detect`) say that these weights are not trained.
    return await model.saveSafetensors({ metadata: { synthetic: 'true', description: 'edet demo tests: a seeded untrained model with an amplified class head' } });
  } finally {
    model.dispose();
  }
}
