import type { InputSize } from '@edet/model';

import { summarizeTimings, type TimingSummary } from './statistics.js';
import { type BenchmarkDescription, benchmarkSubject, describeRequest, timeForward } from './subject.js';

/** What to time: one model (by name, or an EfficientDet variant) at one input size and batch. */
export interface InferBenchmarkOptions {
  /** The model by published name (`coef` is then its config's). */
  model?: string;
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
  const [result] = await runInferBenchmarks([options], options);
  return result;
}

/**
 * Times several models on the active backend in one run, interleaved: each warm-up and each timed round
 * runs every model once, in the order given, so that a machine getting busier or quieter affects them
 * alike. Timing is as `runInferBenchmark`'s; `models[i]` gives model, variant and size, `rounds` the batch
 * and the run counts shared by all. Builds its own models and inputs and disposes them all.
 * @returns one result per model, in the order of `models`
 */
export async function runInferBenchmarks(
  models: readonly Pick<InferBenchmarkOptions, 'model' | 'coef' | 'size'>[],
  rounds: Pick<InferBenchmarkOptions, 'batch' | 'runs' | 'warmup'>,
): Promise<InferBenchmarkResult[]> {
  const subjects: ReturnType<typeof benchmarkSubject>[] = [];
  try {
    for (const model of models) subjects.push(benchmarkSubject({ ...model, ...rounds }));
    const warmupTimes: number[][] = subjects.map(() => []);
    const timesMs: number[][] = subjects.map(() => []);
    for (let run = 0; run < rounds.warmup; run++) {
      for (const [index, subject] of subjects.entries()) warmupTimes[index].push(await timeForward(subject.model, subject.input));
    }
    for (let run = 0; run < rounds.runs; run++) {
      for (const [index, subject] of subjects.entries()) timesMs[index].push(await timeForward(subject.model, subject.input));
    }
    return subjects.map((subject, index) => {
      const summary = summarizeTimings(timesMs[index]);
      return {
        ...describeRequest({ ...models[index], ...rounds }, subject.size),
        ...summary,
        firstRunMs: warmupTimes[index][0],
        imagesPerSecond: (rounds.batch * 1000) / summary.medianMs,
        timesMs: timesMs[index],
      };
    });
  } finally {
    for (const subject of subjects) {
      subject.input.dispose();
      subject.model.dispose();
    }
  }
}
