import type { InputSize } from '@edet/model';

import { summarizeTimings, type TimingSummary } from './statistics.js';
import { type BenchmarkDescription, benchmarkSubject, describeRequest, timeForward } from './subject.js';

/** What to time: one EfficientDet variant at one input size and batch. */
export interface InferBenchmarkOptions {
  coef: number;
  /** Input side, or `[height, width]`, in pixels; default the variant's own input size (512 for D0). */
  size?: InputSize;
  batch: number;
  /** Timed runs. */
  runs: number;
  /** Untimed runs first, which compile kernels and fill caches. */
  warmup: number;
}

/** The timings of one backend's forward passes. */
export interface InferBenchmarkResult extends TimingSummary, BenchmarkDescription {
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
  const { model, size, input } = benchmarkSubject(options);
  const timeOneRun = () => timeForward(model, input);
  try {
    const warmupTimes: number[] = [];
    for (let run = 0; run < options.warmup; run++) warmupTimes.push(await timeOneRun());
    const timesMs: number[] = [];
    for (let run = 0; run < options.runs; run++) timesMs.push(await timeOneRun());
    const summary = summarizeTimings(timesMs);
    return {
      ...describeRequest(options, size),
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
