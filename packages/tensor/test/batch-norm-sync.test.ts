/**
 * Synchronised batch norm, in one thread: a pass over half a batch with a `BatchNormSync` that adds the
 * other half's sums (computed here in float64 from that half's data) must give the same output, input
 * gradient and statistics as one pass over the whole batch. On cpu this checks the composed path, and on
 * wasm the fused kernels of @edet/wasm-kernels (which get the sync through the kernel call). The trainer's
 * worker threads (apps/trainer/test/parallel-step.test.ts) check the shared-memory barrier.
 */
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';

import { BATCH_NORM_TRAIN, type BatchNormSync, fusedBatchNormTraining, setBatchNormSync } from '../src/index.js';

const EPS = 1e-3;
const CHANNELS = 3;
const GAMMA = [0.5, 1.5, -1];
const BETA = [0.1, -0.2, 0.3];

/**
 * The other replica: image `b` `[rows, C]` with upstream gradient `w` (the loss is `sum(y * w)`). It adds
 * its sums in the order a replica's batch norm asks for them: mean, variance, then the backward sums.
 */
class OtherHalf implements BatchNormSync {
  readonly totalImages = 2;
  private mean?: Float64Array;
  private invStd?: Float64Array;

  constructor(
    private readonly b: Float32Array,
    private readonly w: Float32Array,
    private readonly activation: 'none' | 'swish',
  ) {}

  private get rows(): number {
    return this.b.length / CHANNELS;
  }

  sumStatistics(values: Float64Array): void {
    const total = 2 * this.rows;
    if (this.mean === undefined) {
      for (let i = 0; i < this.b.length; i++) values[i % CHANNELS] += this.b[i];
      this.mean = values.map((sum) => sum / total);
    } else {
      for (let i = 0; i < this.b.length; i++) values[i % CHANNELS] += (this.b[i] - this.mean[i % CHANNELS]) ** 2;
      this.invStd = values.map((sum) => 1 / Math.sqrt(sum / total + EPS));
    }
  }

  sumGradientStatistics(values: Float64Array): void {
    for (let i = 0; i < this.b.length; i++) {
      const c = i % CHANNELS;
      const xHat = (this.b[i] - this.mean![c]) * this.invStd![c];
      const z = xHat * GAMMA[c] + BETA[c];
      const sigmoid = 1 / (1 + Math.exp(-z));
      const dz = this.activation === 'swish' ? this.w[i] * sigmoid * (1 + z * (1 - sigmoid)) : this.w[i];
      values[c] += dz;
      values[CHANNELS + c] += dz * xHat;
    }
  }
}

function maxDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

/** Output, input gradient and statistics of one batch norm pass over `x`, with the loss `sum(y * w)`. */
function run(x: tf.Tensor4D, w: tf.Tensor4D, activation: 'none' | 'swish') {
  const gamma = tf.tensor1d(GAMMA);
  const beta = tf.tensor1d(BETA);
  let y: Float32Array | undefined;
  let statistics: { mean: Float32Array; variance: Float32Array; count: number } | undefined;
  // One forward pass: with a sync installed, each pass is a fixed sequence of meetings.
  const f = (input: tf.Tensor) => {
    const result = fusedBatchNormTraining(input as tf.Tensor4D, gamma, beta, EPS, activation);
    y = result.y.dataSync() as Float32Array;
    statistics = { mean: result.statistics.mean.dataSync() as Float32Array, variance: result.statistics.variance.dataSync() as Float32Array, count: result.statistics.count };
    tf.dispose([result.statistics.mean, result.statistics.variance]);
    return tf.sum(tf.mul(result.y, w));
  };
  const dx = tf.grad(f)(x);
  const out = { y: y!, dx: dx.dataSync() as Float32Array, statistics: statistics! };
  tf.dispose([gamma, beta, dx]);
  return out;
}

const original = tf.getBackend();
afterAll(async () => {
  setBatchNormSync(undefined);
  await tf.setBackend(original);
});

describe('batch norm synchronised with another replica', () => {
  for (const backend of ['cpu', 'wasm']) {
    for (const activation of ['none', 'swish'] as const) {
      it(`${backend}, ${activation}: half a batch plus the other half's sums is the whole batch`, async () => {
        await tf.setBackend(backend);
        // The fused kernels come from @edet/wasm-kernels, registered by the suite's wasm setup (useBackend).
        if (backend === 'wasm') expect(tf.getKernel(BATCH_NORM_TRAIN, 'wasm'), BATCH_NORM_TRAIN).toBeDefined();
        // A mean far from zero, so a variance about the wrong mean would show.
        const x = tf.randomNormal([2, 4, 5, CHANNELS], 3, 2, 'float32', 7) as tf.Tensor4D;
        const w = tf.randomNormal([2, 4, 5, CHANNELS], 0, 1, 'float32', 8) as tf.Tensor4D;
        const [a, b] = tf.split(x, 2) as tf.Tensor4D[];
        const [wa, wb] = tf.split(w, 2) as tf.Tensor4D[];
        const start = tf.memory().numTensors;

        const whole = run(x, w, activation);
        setBatchNormSync(new OtherHalf(b.dataSync() as Float32Array, wb.dataSync() as Float32Array, activation));
        const half = (() => {
          try {
            return run(a, wa, activation);
          } finally {
            setBatchNormSync(undefined);
          }
        })();
        const alone = run(a, wa, activation);
        expect(tf.memory().numTensors).toBe(start);

        const size = a.size;
        // float32 arithmetic on values of order 1-10: 1e-5 absolute.
        expect(maxDifference(half.y, whole.y.subarray(0, size))).toBeLessThan(1e-5);
        expect(maxDifference(half.dx, whole.dx.subarray(0, size))).toBeLessThan(1e-5);
        expect(maxDifference(half.statistics.mean, whole.statistics.mean)).toBeLessThan(1e-5);
        expect(maxDifference(half.statistics.variance, whole.statistics.variance)).toBeLessThan(1e-5);
        expect(half.statistics.count).toBe(whole.statistics.count);
        expect(half.statistics.count).toBe(40);
        // Without the sync the half differs: the test can fail.
        expect(maxDifference(alone.y, whole.y.subarray(0, size))).toBeGreaterThan(1e-2);
        expect(alone.statistics.count).toBe(20);
        tf.dispose([x, w, a, b, wa, wb]);
      });
    }
  }
});
