import * as tf from '@tensorflow/tfjs-core';

import { activationGradients } from './activations.js';
import { arithmeticGradients } from './arithmetic.js';
import { convGradients } from './conv.js';
import { indexingGradients } from './indexing.js';
import { mathGradients } from './math.js';
import { matMulGradients } from './matmul.js';
import { nonDifferentiableGradients } from './non-differentiable.js';
import { normalizationGradients } from './normalization.js';
import { poolingGradients } from './pooling.js';
import { reductionGradients } from './reduction.js';
import { resizeGradients } from './resize.js';
import { shapeGradients } from './shape.js';

/**
 * Registers edet's gradients with tfjs-core.
 *
 * tfjs-core's Node build (`dist/tf-core.node.js`, what Node resolves) and its ESM entry register no
 * gradients at all; only the `@tensorflow/tfjs` umbrella package does. Without these, `tf.grad`,
 * `tf.variableGrads` and `optimizer.minimize` fail on almost every op. Importing `@edet/tensor` runs
 * `registerGradients()` once as a side effect.
 */

/** Every gradient edet defines, one per kernel name. */
export const EDET_GRADIENTS: readonly tf.GradConfig[] = [
  ...arithmeticGradients,
  ...mathGradients,
  ...activationGradients,
  ...nonDifferentiableGradients,
  ...reductionGradients,
  ...shapeGradients,
  ...indexingGradients,
  ...convGradients,
  ...poolingGradients,
  ...resizeGradients,
  ...matMulGradients,
  ...normalizationGradients,
];

/**
 * Registers every gradient in `EDET_GRADIENTS` whose kernel has none yet, so an app that already loaded
 * tfjs's own gradients (e.g. through `@tensorflow/tfjs` in a browser) keeps them. Safe to call again.
 * Returns the kernel names registered by this call.
 */
export function registerGradients(): string[] {
  const registered: string[] = [];
  for (const config of EDET_GRADIENTS) {
    if (tf.getGradient(config.kernelName) != null) continue;
    tf.registerGradient(config);
    registered.push(config.kernelName);
  }
  return registered;
}

registerGradients();
