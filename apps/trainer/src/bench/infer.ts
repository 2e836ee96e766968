import * as tf from '@tensorflow/tfjs-core';
import { EfficientDet } from '@edet/model';

import { summarizeTimings, type TimingSummary } from './statistics.js';

/** What to time: one EfficientDet variant at one input size and batch. */
export interface InferBenchmarkOptions {
  coef: number;
  /** Square input side in pixels; default the variant's own input size (512 for D0). */
  size?: number;
  batch: number;
  /** Timed runs. */
  runs: number;
  /** Untimed runs first, which compile kernels and fill caches. */
  warmup: number;
}

/** The timings of one backend's forward passes. */
export interface InferBenchmarkResult extends TimingSummary {
  backend: string;
  coef: number;
  size: number;
  batch: number;
  runs: number;
  warmup: number;
  /** The first (cold) run, reported apart from the warm ones; `undefined` when there was no warm-up. */
  firstRunMs?: number;
  /** `batch / median`, images per second. */
  imagesPerSecond: number;
  /** Every timed run, in order. */
  timesMs: number[];
}

/**
 * Times `model.forward` on the active backend: `warmup` untimed runs, then `runs` timed ones. A run counts
 * until the data of all three outputs (class scores, box deltas, anchors) has been read back, since tfjs
 * queues work lazily and a bare `forward` would time only the scheduling. The input is random (seeded):
 * latency does not depend on pixel values. Builds and disposes its own model with untrained weights.
 */
export async function runInferBenchmark(options: InferBenchmarkOptions): Promise<InferBenchmarkResult> {
  const model = new EfficientDet({ compoundCoef: options.coef, numClasses: 90, seed: 42 });
  const size = options.size ?? model.config.inputSize;
  const input = tf.randomNormal([options.batch, 3, size, size], 0, 1, 'float32', 7) as tf.Tensor4D;
  const timeOneRun = async (): Promise<number> => {
    const start = performance.now();
    const outputs = tf.tidy(() => model.forward(input));
    await Promise.all(outputs.map((output) => output.data()));
    const elapsed = performance.now() - start;
    tf.dispose(outputs);
    return elapsed;
  };
  try {
    const warmupTimes: number[] = [];
    for (let run = 0; run < options.warmup; run++) warmupTimes.push(await timeOneRun());
    const timesMs: number[] = [];
    for (let run = 0; run < options.runs; run++) timesMs.push(await timeOneRun());
    const summary = summarizeTimings(timesMs);
    return {
      backend: tf.getBackend(),
      coef: options.coef,
      size,
      batch: options.batch,
      runs: options.runs,
      warmup: options.warmup,
      ...summary,
      firstRunMs: warmupTimes[0],
      imagesPerSecond: (options.batch * 1000) / summary.medianMs,
      timesMs,
    };
  } finally {
    input.dispose();
    model.dispose();
  }
}
