import * as tf from '@tensorflow/tfjs-core';
import { type InputSize, inputShape } from '@edet/model';
import { AdamW } from '@edet/tensor';
import { GradientWorkers } from '@edet/train';
import { spawnWorkerThread } from '@edet/train/node';

import { BUSY_LEAD_IN_MS, keepBusy, type PeerTimings, type RoundPeer } from './infer.js';
import { summarizeTimings, type TimingSummary } from './statistics.js';
import { type BenchmarkDescription, benchmarkSubject, describeRequest, timeForward } from './subject.js';

/** What to time: one training step of one model (by name, or an EfficientDet variant) at one input size and batch. */
export interface TrainBenchmarkOptions {
  /** The model by published name (`coef` is then its config's). */
  model?: string;
  coef: number;
  /** Input side, or `[height, width]`, in pixels; default the variant's own input size (512 for D0). */
  size?: InputSize;
  batch: number;
  runs: number;
  warmup: number;
  /**
   * Worker threads computing the passes of a step in parallel (1: the step runs in this thread). The batch
   * is split into `ceil(batch / workers)`-image passes, one per worker.
   */
  workers?: number;
}

/** Step timings and their breakdown, medians in milliseconds. */
export interface TrainBenchmarkResult extends TimingSummary, BenchmarkDescription {
  /** Median of the parts: forward + loss, backward, optimizer update (they add up to one step). */
  breakdown: { forwardMs: number; backwardMs: number; updateMs: number };
  /** The peer in the same process: median inference forward pass (eval mode) on the same input. */
  inferenceForwardMs: number;
  /** Worker threads of the timed steps (1: this thread). */
  workers: number;
  /** Images per pass of the timed steps. */
  microBatch: number;
  /**
   * With workers: the second peer, the median of the same step computed in this thread on the whole batch
   * (as many runs as the timed steps); null without workers.
   */
  singleThreadMs: number | null;
  /** Every timed step, in order. */
  timesMs: number[];
  /** One timing per peer, in the order given: its rounds, each run right after one of edet's steps. */
  peers: PeerTimings[];
}

/** Boxes spread over the image, two per image, as `[x1, y1, x2, y2, classId]`. */
function syntheticTargets(batch: number, size: InputSize, numClasses: number): tf.Tensor2D[] {
  // Within the shorter side, so that every box lies inside the image.
  const side = Math.min(...inputShape(size));
  return Array.from({ length: batch }, (_, i) => {
    const s = side / 8;
    return tf.tensor2d([
      [s, s * (1 + i), s * 4, s * (3 + i), i % numClasses],
      [s * 4, s * 3, s * 7, s * 7, (i + 1) % numClasses],
    ]);
  });
}

/**
 * Times full training steps on the active backend: forward, focal + smooth-L1 box loss, backward, AdamW
 * update, each timed until its results are read back. The forward part is timed by a separate loss-only
 * pass per run, so `backward = forward-and-backward - forward`. With `workers`, the passes of each step run
 * on worker threads (see `GradientWorkers`) and the same step in this thread is timed as a second peer.
 * Each of `peers` (another framework's step) runs one round after each of edet's warm-up and timed steps;
 * every timed step and round follows `BUSY_LEAD_IN_MS` of busy waiting. Builds and disposes its own model
 * (and workers); the caller keeps (and closes) the peers.
 */
export async function runTrainBenchmark(options: TrainBenchmarkOptions, peers: readonly RoundPeer[] = []): Promise<TrainBenchmarkResult> {
  const { model, size, input, outputs } = benchmarkSubject(options);
  const targets = syntheticTargets(options.batch, size, model.config.numClasses);
  const optimizer = new AdamW({ learningRate: 1e-4, weightDecay: 1e-2 });
  const variables = model.namedParameters();
  const variableList = [...variables.values()];
  const runOnce = async () => {
    model.train();
    let start = performance.now();
    const loss = model.getLoss(input, targets);
    await loss.data();
    loss.dispose();
    const forwardMs = performance.now() - start;

    start = performance.now();
    const { value, grads } = tf.variableGrads(() => model.getLoss(input, targets), variableList);
    await Promise.all([value.data(), ...Object.values(grads).map((g) => g.data())]);
    const gradientMs = performance.now() - start;

    start = performance.now();
    const byName: Record<string, tf.Tensor> = {};
    for (const [name, variable] of variables) byName[name] = grads[variable.name];
    optimizer.applyGradients(variables, byName);
    await variableList[variableList.length - 1].data();
    const updateMs = performance.now() - start;
    tf.dispose([value, ...Object.values(grads)]);
    return { stepMs: gradientMs + updateMs, forwardMs, backwardMs: Math.max(0, gradientMs - forwardMs), updateMs };
  };
  const workerCount = Math.max(1, Math.min(options.workers ?? 1, options.batch));
  const microBatch = Math.ceil(options.batch / workerCount);
  const workers = workerCount > 1 ? await GradientWorkers.start(model, { count: workerCount, spawn: spawnWorkerThread, syncBatchNorm: true }) : undefined;
  // The same step with the passes on the workers: the loss of every pass (timed alone, as above), then
  // losses and gradients, then the update here.
  const runParallelOnce = async (pool: GradientWorkers) => {
    model.train();
    let start = performance.now();
    await pool.run(input, targets, { microBatch, step: 0, gradients: false, loss: {} });
    const forwardMs = performance.now() - start;

    start = performance.now();
    await pool.run(input, targets, { microBatch, step: 0, gradients: true, loss: {} });
    const gradientMs = performance.now() - start;

    start = performance.now();
    const gradients = pool.sumGradients();
    optimizer.applyGradients(variables, gradients);
    pool.averageStatistics();
    await variableList[variableList.length - 1].data();
    const updateMs = performance.now() - start;
    tf.dispose(Object.values(gradients));
    return { stepMs: gradientMs + updateMs, forwardMs, backwardMs: Math.max(0, gradientMs - forwardMs), updateMs };
  };
  const timedStep = workers === undefined ? runOnce : () => runParallelOnce(workers);
  const inferenceOnce = () => {
    model.eval();
    return timeForward(model, input, outputs);
  };
  const peerTimes: number[][] = peers.map(() => []);
  try {
    for (let run = 0; run < options.warmup; run++) {
      await timedStep();
      for (const peer of peers) await peer.time();
    }
    const runs = [];
    for (let run = 0; run < options.runs; run++) {
      keepBusy(BUSY_LEAD_IN_MS);
      runs.push(await timedStep());
      for (const [index, peer] of peers.entries()) {
        keepBusy(BUSY_LEAD_IN_MS);
        peerTimes[index].push(await peer.time());
      }
    }
    let singleThreadMs: number | null = null;
    if (workers !== undefined) {
      for (let run = 0; run < options.warmup; run++) await runOnce();
      const single = [];
      for (let run = 0; run < options.runs; run++) single.push((await runOnce()).stepMs);
      singleThreadMs = summarizeTimings(single).medianMs;
    }
    await inferenceOnce();
    const inference = [];
    for (let run = 0; run < Math.max(3, Math.min(options.runs, 5)); run++) inference.push(await inferenceOnce());
    const median = (values: number[]) => summarizeTimings(values).medianMs;
    const timesMs = runs.map((r) => r.stepMs);
    return {
      ...describeRequest(options, size),
      ...summarizeTimings(timesMs),
      breakdown: {
        forwardMs: median(runs.map((r) => r.forwardMs)),
        backwardMs: median(runs.map((r) => r.backwardMs)),
        updateMs: median(runs.map((r) => r.updateMs)),
      },
      inferenceForwardMs: median(inference),
      workers: workerCount,
      microBatch: workers === undefined ? options.batch : microBatch,
      singleThreadMs,
      timesMs,
      peers: peerTimes.map((times) => ({ ...summarizeTimings(times), timesMs: times })),
    };
  } finally {
    await workers?.close();
    tf.dispose([input, ...targets]);
    optimizer.dispose();
    model.dispose();
  }
}
