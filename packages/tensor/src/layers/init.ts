import * as tf from '@tensorflow/tfjs-core';

/**
 * He-normal initialisation with fan-out, as the official EfficientNet uses for convolutions:
 * N(0, sqrt(2 / fanOut)). Returns a new tensor; the caller (usually `Module.addParameter`) takes ownership.
 */
export function heNormal(shape: number[], fanOut: number): tf.Tensor {
  return tf.randomNormal(shape, 0, Math.sqrt(2 / fanOut), 'float32', nextSeed());
}

/** Uniform(-limit, limit), used for dense layers. The caller owns the result. */
export function uniform(shape: number[], limit: number): tf.Tensor {
  return tf.randomUniform(shape, -limit, limit, 'float32', nextSeed());
}

let seedCounter: number | null = null;

/**
 * Makes every initialisation that follows deterministic (`null` makes it random again): the n-th tensor after `seedInitializers(s)`
 * gets seed `s + n`. Without a call, initialisation is random.
 */
export function seedInitializers(seed: number | null): void {
  seedCounter = seed;
}

function nextSeed(): number | undefined {
  if (seedCounter === null) return undefined;
  return seedCounter++;
}
