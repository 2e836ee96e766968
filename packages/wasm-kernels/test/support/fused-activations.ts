/** Shared by the tests of the fused inference kernels: their epilogues, and each as tfjs ops (the reference). */
import * as tf from '@tensorflow/tfjs-core';

import type { FusedConvActivation } from '@edet/tensor';

/** Every epilogue the fused kernels take. */
export const FUSED_ACTIVATIONS_UNDER_TEST: readonly FusedConvActivation[] = ['linear', 'relu6', 'swish', 'sigmoid'];

/** `activation(x)` composed of tfjs ops, as the layers compose it where no fused kernel runs. */
export function composedActivation(x: tf.Tensor, activation: unknown): tf.Tensor {
  if (activation === 'relu6') return tf.relu6(x);
  if (activation === 'swish') return tf.mul(x, tf.sigmoid(x));
  if (activation === 'sigmoid') return tf.sigmoid(x);
  return x;
}
