import type * as tf from '@tensorflow/tfjs-core';
import type { EfficientDet, InputSize } from '@edet/model';

import { convolutionMacs, gflopPerSecond } from './flops.js';
import { type ForwardProfile, profileForward, profilePass } from './profile.js';
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
  /** After the timed runs, as many passes under `tf.profile`, summarised by class of kernel. */
  profile?: boolean;
}

/** The timings of one backend's forward passes. */
export interface InferBenchmarkResult extends TimingSummary, BenchmarkDescription {
  /** The first (cold) run, reported apart from the warm ones; `undefined` when there was no warm-up. */
  firstRunMs?: number;
  /** `batch / median`, images per second. */
  imagesPerSecond: number;
  /** Multiply-adds of the convolutions for one image (see `convolutionMacs`). */
  macsPerImage: number;
  /** Effective arithmetic rate: `2 * macsPerImage * batch / median`, in GFLOP/s. */
  gflopPerSecond: number;
  /** Every timed run, in order. */
  timesMs: number[];
  /** Where a pass spends its time, with `profile`; `undefined` without. */
  profile?: ForwardProfile;
}

/** Something timed in the same rounds as edet, after it: a peer such as another runtime. */
export interface RoundPeer {
  /** Milliseconds of one round (the peer reads its own outputs back). */
  time(): Promise<number>;
}

/** A peer's timings over the timed rounds. */
export interface PeerTimings extends TimingSummary {
  /** Every timed round, in order. */
  timesMs: number[];
}

/**
 * Times `model.forward` on the active backend: `warmup` untimed runs, then `runs` timed ones. A run counts
 * until the data of all three outputs (class scores, box deltas, anchors) has been read back, since tfjs
 * queues work lazily and a bare `forward` would time only the scheduling; it is read into arrays made once
 * and reused, as a loop over frames would (`readInto`), and as the onnxruntime peer frees its outputs
 * after every run so that the next reuses their memory. The input is random (seeded):
 * latency does not depend on pixel values. Builds and disposes its own model with untrained weights.
 */
export async function runInferBenchmark(options: InferBenchmarkOptions): Promise<InferBenchmarkResult> {
  const { results } = await runInferBenchmarks([options], options);
  return results[0];
}

/**
 * Times several models on the active backend in one run, interleaved: each warm-up and each timed round
 * runs every model once, in the order given, then every peer, so that a machine getting busier or quieter
 * affects them alike. Timing is as `runInferBenchmark`'s; `models[i]` gives model, variant and size, `rounds`
 * the batch, the run counts and `profile`, shared by all; every timed run follows `BUSY_LEAD_IN_MS` of busy
 * waiting. Builds its own models and inputs and disposes them
 * all; the caller keeps (and closes) the peers.
 * @returns one result per model, in the order of `models`, and one timing per peer, in the order of `peers`
 */
export async function runInferBenchmarks(
  models: readonly Pick<InferBenchmarkOptions, 'model' | 'coef' | 'size'>[],
  rounds: Pick<InferBenchmarkOptions, 'batch' | 'runs' | 'warmup' | 'profile'>,
  peers: readonly RoundPeer[] = [],
): Promise<{ results: InferBenchmarkResult[]; peers: PeerTimings[] }> {
  const subjects: ReturnType<typeof benchmarkSubject>[] = [];
  try {
    for (const model of models) subjects.push(benchmarkSubject({ ...model, ...rounds }));
    const warmupTimes: number[][] = subjects.map(() => []);
    const timesMs: number[][] = subjects.map(() => []);
    const peerTimes: number[][] = peers.map(() => []);
    for (let run = 0; run < rounds.warmup; run++) {
      for (const [index, subject] of subjects.entries()) warmupTimes[index].push(await timeForward(subject.model, subject.input, subject.outputs));
      for (const peer of peers) await peer.time();
    }
    for (let run = 0; run < rounds.runs; run++) {
      for (const [index, subject] of subjects.entries()) {
        keepBusy(BUSY_LEAD_IN_MS);
        timesMs[index].push(await timeForward(subject.model, subject.input, subject.outputs));
      }
      for (const [index, peer] of peers.entries()) {
        keepBusy(BUSY_LEAD_IN_MS);
        peerTimes[index].push(await peer.time());
      }
    }
    const results: InferBenchmarkResult[] = [];
    for (const [index, subject] of subjects.entries()) {
      const summary = summarizeTimings(timesMs[index]);
      const profile = rounds.profile === true ? await profileForward(subject.model, subject.input, rounds.runs) : undefined;
      const macs = profile?.macs ?? (await countMacs(subject.model, subject.input));
      results.push({
        ...describeRequest({ ...models[index], ...rounds }, subject.size),
        ...summary,
        firstRunMs: warmupTimes[index][0],
        imagesPerSecond: (rounds.batch * 1000) / summary.medianMs,
        macsPerImage: macs / rounds.batch,
        gflopPerSecond: gflopPerSecond(macs, summary.medianMs),
        timesMs: timesMs[index],
        profile,
      });
    }
    return { results, peers: peerTimes.map((times) => ({ ...summarizeTimings(times), timesMs: times })) };
  } finally {
    for (const subject of subjects) {
      subject.input.dispose();
      subject.model.dispose();
    }
  }
}

/**
 * Milliseconds of busy waiting before every timed run, models and peers alike. On the 2-core virtual
 * machines edet is measured on, a run that starts right after the process has idled (awaiting a result)
 * runs up to half again as slow as one that starts on a busy core: onnxruntime-node alone, run after run,
 * measured 165-176 ms, and 111-114 ms with 20 ms of busy waiting before each run (5 ms were not enough).
 * Without it, which runtime got the quick start depended on what the other left behind.
 */
export const BUSY_LEAD_IN_MS = 20;

/** Spins on this thread for `ms` milliseconds. */
export function keepBusy(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

// Multiply-adds depend only on the model and the input shape, not on the backend: count once per process.
const macsByShape = new Map<string, number>();

/** Multiply-adds of one pass of `model` on `input`, from the kernel shapes of one profiled (untimed) pass. */
async function countMacs(model: EfficientDet, input: tf.Tensor4D): Promise<number> {
  const key = JSON.stringify([model.config, input.shape]);
  let macs = macsByShape.get(key);
  if (macs === undefined) {
    macs = convolutionMacs((await profilePass(model, input)).records);
    macsByShape.set(key, macs);
  }
  return macs;
}
