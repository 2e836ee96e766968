import * as tf from '@tensorflow/tfjs-core';
import { EfficientDet, type NamedVariableOptimizer, type TrainStepOptions, type TrainStepResult, trainStep } from '@edet/model';
import { AdamW } from '@edet/tensor';
import { GradientWorkers, type ParallelStepOptions, parallelTrainStep } from '@edet/train';
import { spawnWorkerThread } from '@edet/train/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';


// Runs the built worker script (apps/trainer/dist/gradient-worker.js): `npm test` builds first.

// A small D0 without drop-connect, so that both paths draw no random numbers.
const MODEL = { compoundCoef: 0, fpnLayers: 1, headLayers: 1, inputSize: 128, numClasses: 3, seed: 5, dropConnectRate: 0 } as const;

function batch(): { x: tf.Tensor4D; targets: tf.Tensor2D[] } {
  const x = tf.randomNormal([2, 128, 128, 3], 0, 1, 'float32', 11) as tf.Tensor4D;
  const targets = [
    tf.tensor2d([[10, 12, 60, 70, 0], [70, 20, 120, 90, 2]]),
    tf.tensor2d([[30, 30, 100, 110, 1]]),
  ];
  return { x, targets };
}

/**
 * Plain gradient descent: the update is linear in the gradients, so the two paths' weights differ by the
 * learning rate times their gradients' rounding differences (Adam would amplify near-zero gradients).
 */
class GradientDescent implements NamedVariableOptimizer {
  constructor(private readonly learningRate: number) {}
  applyGradients(variables: ReadonlyMap<string, tf.Variable>, gradients: Readonly<Record<string, tf.Tensor>>): void {
    for (const [name, variable] of variables) tf.tidy(() => variable.assign(tf.sub(variable, tf.mul(gradients[name], this.learningRate))));
  }
}

function snapshot(model: EfficientDet): Map<string, Float32Array> {
  return new Map(model.namedEntries().map((entry) => [entry.name, entry.variable.dataSync() as Float32Array]));
}

function maxDifference(a: Float32Array, b: Float32Array): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

/** The two paths' losses agree to float32 rounding on other threads (their own backends): relative 2e-5. */
function expectSameLosses(results: { expected: TrainStepResult; actual: TrainStepResult }[]): void {
  const relative = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-6);
  for (const { expected, actual } of results) {
    expect(relative(actual.loss, expected.loss)).toBeLessThan(2e-5);
    expect(relative(actual.classificationLoss, expected.classificationLoss)).toBeLessThan(2e-5);
    expect(relative(actual.boxLoss, expected.boxLoss)).toBeLessThan(2e-5);
  }
}

/**
 * Two steps of `trainStep` on `inThread` (with `inThreadOptions`) beside two of `parallelTrainStep` on
 * `model` (with `parallelOptions`), each with plain gradient descent at 1e-2 from the same weights: the
 * parallel step leaks nothing, and losses and updated parameters agree to float32 rounding (the gradients
 * agree to rounding; times the learning rate, far below 1e-6).
 */
async function expectStepsAgree(
  workers: GradientWorkers,
  inThread: EfficientDet,
  model: EfficientDet,
  batchTensors: { x: tf.Tensor4D; targets: tf.Tensor2D[] },
  inThreadOptions: TrainStepOptions,
  parallelOptions: Omit<ParallelStepOptions, 'step'>,
): Promise<void> {
  const { x, targets } = batchTensors;
  const optimizerA = new GradientDescent(1e-2);
  const optimizerB = new GradientDescent(1e-2);
  const results = [];
  for (let step = 0; step < 2; step++) {
    const expected = trainStep(inThread, optimizerA, x, targets, inThreadOptions);
    const before = tf.memory().numTensors;
    const actual = await parallelTrainStep(workers, model, optimizerB, x, targets, { ...parallelOptions, step });
    expect(tf.memory().numTensors).toBe(before);
    results.push({ expected, actual });
  }
  expectSameLosses(results);
  expect(maxParameterDifference(inThread, model)).toBeLessThan(1e-6);
}

/** The largest difference between two models' parameters. */
function maxParameterDifference(a: EfficientDet, b: EfficientDet): number {
  const weightsA = snapshot(a);
  const weightsB = snapshot(b);
  let worst = 0;
  for (const name of b.namedParameters().keys()) worst = Math.max(worst, maxDifference(weightsA.get(name)!, weightsB.get(name)!));
  return worst;
}

/**
 * A step whose second image names a class the model lacks fails with the failing worker's message (not the
 * error it causes in a worker waiting for it at a synchronised batch norm), leaves `model` as it was, and
 * the pool then runs the next step (with a cleared barrier).
 */
async function expectWorkerErrorReported(workers: GradientWorkers, model: EfficientDet): Promise<void> {
  const { x, targets } = batch();
  const optimizer = new AdamW({ learningRate: 1e-3 });
  const bad = [targets[0], tf.tensor2d([[30, 30, 100, 110, 7]])];
  const before = snapshot(model);
  const tensors = tf.memory().numTensors;
  await expect(parallelTrainStep(workers, model, optimizer, x, bad, { channelsLast: true, microBatch: 1, step: 0 })).rejects.toThrow(/class/i);
  expect(tf.memory().numTensors).toBe(tensors);
  const after = snapshot(model);
  for (const [name, values] of before) expect(maxDifference(values, after.get(name)!)).toBe(0);
  const result = await parallelTrainStep(workers, model, optimizer, x, targets, { channelsLast: true, microBatch: 1, step: 1 });
  expect(Number.isFinite(result.loss)).toBe(true);
  tf.dispose([x, ...targets, bad[1]]);
  optimizer.dispose();
}

/** Copies every entry (weights and running statistics) of `from` into `to`. */
function copyEntries(from: EfficientDet, to: EfficientDet): void {
  const source = new Map(from.namedEntries().map((entry) => [entry.name, entry.variable]));
  for (const entry of to.namedEntries()) entry.variable.assign(source.get(entry.name)!);
}

describe('parallelTrainStep on gradient workers', () => {
  let workers: GradientWorkers;
  let model: EfficientDet;

  beforeAll(async () => {
    model = new EfficientDet(MODEL);
    workers = await GradientWorkers.start(model, { count: 2, spawn: spawnWorkerThread });
  }, 120_000);

  afterAll(async () => {
    await workers.close();
    model.dispose();
  });

  it('makes the update trainStep makes in passes, with one pass per worker', async () => {
    const { x, targets } = batch();
    const inThread = new EfficientDet(MODEL);
    copyEntries(model, inThread);
    const options = { channelsLast: true, microBatch: 1, clipGradientNorm: 10 };
    await expectStepsAgree(workers, inThread, model, { x, targets }, options, options);
    tf.dispose([x, ...targets]);
    inThread.dispose();
  }, 120_000);

  it('sets the running statistics to the mean of what each pass gives', async () => {
    const { x, targets } = batch();
    const start = new EfficientDet(MODEL);
    copyEntries(model, start);
    const optimizer = new AdamW({ learningRate: 1e-3 });
    await parallelTrainStep(workers, model, optimizer, x, targets, { channelsLast: true, microBatch: 1, step: 0 });

    // Each image alone through a copy of the starting model in training mode: its running statistics after one pass.
    const perImage = [0, 1].map((i) => {
      const single = new EfficientDet(MODEL);
      copyEntries(start, single);
      single.train();
      const image = tf.slice(x, [i, 0, 0, 0], [1, -1, -1, -1]) as tf.Tensor4D;
      tf.dispose(Object.values(single.computeLoss(image, [targets[i]], { channelsLast: true })));
      const stats = snapshot(single);
      image.dispose();
      single.dispose();
      return stats;
    });
    const actual = snapshot(model);
    const buffers = model.namedEntries().filter((entry) => !entry.trainable);
    expect(buffers.length).toBeGreaterThan(100);
    let worst = 0;
    let moved = 0;
    for (const { name } of buffers) {
      const [a, b] = perImage.map((stats) => stats.get(name)!);
      const mean = a.map((value, i) => (value + b[i]) / 2);
      worst = Math.max(worst, maxDifference(actual.get(name)!, mean));
      moved = Math.max(moved, maxDifference(actual.get(name)!, start.namedEntries().find((e) => e.name === name)!.variable.dataSync() as Float32Array));
    }
    expect(moved).toBeGreaterThan(1e-3);
    expect(worst).toBeLessThan(1e-5);
    tf.dispose([x, ...targets]);
    optimizer.dispose();
    start.dispose();
  }, 120_000);

  it("reports a worker's error with its message and leaves the model as it was", async () => {
    await expectWorkerErrorReported(workers, model);
  }, 120_000);

  it('refuses a model the workers were not started for', async () => {
    const { x, targets } = batch();
    const other = new EfficientDet(MODEL);
    const optimizer = new AdamW({ learningRate: 1e-3 });
    await expect(parallelTrainStep(workers, other, optimizer, x, targets, { channelsLast: true, microBatch: 1, step: 0 })).rejects.toThrow(/another model/);
    tf.dispose([x, ...targets]);
    optimizer.dispose();
    other.dispose();
  });
});

describe('parallelTrainStep with synchronised batch norm', () => {
  let workers: GradientWorkers;
  let model: EfficientDet;

  beforeAll(async () => {
    model = new EfficientDet(MODEL);
    workers = await GradientWorkers.start(model, { count: 2, spawn: spawnWorkerThread, syncBatchNorm: true });
  }, 120_000);

  afterAll(async () => {
    await workers.close();
    model.dispose();
  });

  /**
   * Three images: one round of two passes side by side, then one pass alone. The loss of a pass is
   * divided by the pass's positive anchors; the first two images have the same boxes (so the same
   * positives), which makes their one pass's loss the mean of their losses alone.
   */
  function threeImages(): { x: tf.Tensor4D; targets: tf.Tensor2D[] } {
    const { x, targets } = batch();
    const third = tf.randomNormal([1, 128, 128, 3], 0.5, 2, 'float32', 12);
    const all = tf.concat([x, third]) as tf.Tensor4D;
    tf.dispose([x, third, targets[1]]);
    return { x: all, targets: [targets[0], targets[0].clone(), tf.tensor2d([[5, 40, 50, 127, 1]])] };
  }

  it('makes the update of one pass over the images the workers run side by side', async () => {
    const { x, targets } = threeImages();
    const inThread = new EfficientDet(MODEL);
    copyEntries(model, inThread);
    expect(workers.syncBatchNorm).toBe(true);
    // In this thread: passes [0, 1] and [2], batch norm over each pass. On the workers: images 0 and 1 on
    // separate workers with shared statistics, then image 2 alone. Gradients through the shared statistics
    // agree to float32 rounding.
    await expectStepsAgree(
      workers,
      inThread,
      model,
      { x, targets },
      { channelsLast: true, microBatch: 2, clipGradientNorm: 10 },
      { channelsLast: true, microBatch: 1, clipGradientNorm: 10 },
    );
    tf.dispose([x, ...targets]);
    inThread.dispose();
  }, 180_000);

  it('updates the running statistics from the statistics of the passes together', async () => {
    const { x, targets } = batch();
    const inThread = new EfficientDet(MODEL);
    copyEntries(model, inThread);
    const start = snapshot(model);
    // One round: both workers update from the shared statistics, as one pass over both images does.
    trainStep(inThread, new GradientDescent(0), x, targets, { channelsLast: true, microBatch: 2 });
    await parallelTrainStep(workers, model, new GradientDescent(0), x, targets, { channelsLast: true, microBatch: 1, step: 0 });
    const expected = snapshot(inThread);
    let worst = 0;
    let moved = 0;
    for (const entry of model.namedEntries().filter((e) => !e.trainable)) {
      const actual = entry.variable.dataSync() as Float32Array;
      worst = Math.max(worst, maxDifference(actual, expected.get(entry.name)!));
      moved = Math.max(moved, maxDifference(actual, start.get(entry.name)!));
    }
    expect(moved).toBeGreaterThan(1e-3);
    expect(worst).toBeLessThan(1e-5);
    tf.dispose([x, ...targets]);
    inThread.dispose();
  }, 120_000);

  it('differs from normalising each pass alone', async () => {
    const { x, targets } = batch();
    const alone = new EfficientDet(MODEL);
    copyEntries(model, alone);
    const optimizer = new GradientDescent(1e-2);
    const perPass = trainStep(alone, optimizer, x, targets, { channelsLast: true, microBatch: 1 });
    const shared = await parallelTrainStep(workers, model, new GradientDescent(0), x, targets, { channelsLast: true, microBatch: 1, step: 0 });
    expect(Math.abs(shared.loss - perPass.loss) / perPass.loss).toBeGreaterThan(1e-3);
    tf.dispose([x, ...targets]);
    alone.dispose();
  }, 120_000);

  it("reports the failing worker's error, not the one it caused in the worker waiting for it", async () => {
    await expectWorkerErrorReported(workers, model);
  }, 120_000);
});
