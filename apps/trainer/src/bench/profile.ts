import * as tf from '@tensorflow/tfjs-core';
import type { EfficientDet } from '@edet/model';
import { readInto } from '@edet/tensor';

import { CliError } from '../errors.js';
import { convolutionMacs } from './flops.js';
import { KERNEL_CLASSES, KERNEL_CLASS_LABELS, type KernelClass, type KernelRecord, classifyKernels } from './kernel-classes.js';
import { summarizeTimings } from './statistics.js';
import { OutputBuffers } from './subject.js';

/** One profiled forward pass: its kernel records, the read-back of its outputs and its wall-clock time. */
export interface ProfiledPass {
  records: KernelRecord[];
  /** From the last kernel returning (all work queued) to the outputs' data on the host. */
  readBackMs: number;
  /** From calling `forward` to the outputs' data on the host. */
  wallMs: number;
}

/** One class of a profile: medians over the profiled passes. */
export interface ClassShare {
  kind: KernelClass;
  label: string;
  /** Median over the passes of the class's summed kernel time. */
  ms: number;
  /** `ms` as a percentage of the profile's `totalMs`. */
  percent: number;
  /** Kernel runs of the class in one pass (0 for the read-back). */
  kernels: number;
  /** The distinct kernel names of the class, sorted. */
  kernelNames: string[];
}

/** Where one forward pass spends its time, by class of kernel. */
export interface ForwardProfile {
  /** Profiled passes. */
  runs: number;
  /** Every class with time or kernels, in `KERNEL_CLASSES` order; they add up to `totalMs`. */
  classes: ClassShare[];
  /** The sum of the class medians. */
  totalMs: number;
  /** Median wall-clock time of the profiled passes (with tf.profile's own bookkeeping). */
  wallMs: number;
  /** `wallMs - totalMs`: op dispatch, shape checks and tensor bookkeeping outside the kernels. */
  outsideKernelsMs: number;
  /** Kernel runs in one pass. */
  kernels: number;
  /** Scope records (custom-gradient ops) in one pass, not counted: their kernels are. */
  scopes: { count: number; names: string[] };
  /** Multiply-adds of the convolutions of one pass (the whole batch). */
  macs: number;
}

/**
 * Runs `model.forward(input)` once under `tf.profile` and reads the outputs back into `buffers` (as the
 * timed runs do). Every kernel's time is resolved: on wasm and cpu it is the synchronous time of the kernel
 * call; `NaN` where a backend reports none. The outputs and intermediates are disposed; the caller keeps
 * `model` and `input`.
 */
export async function profilePass(model: EfficientDet, input: tf.Tensor4D, buffers: OutputBuffers = new OutputBuffers()): Promise<ProfiledPass> {
  let readBackMs = 0;
  let wallMs = 0;
  const info = await tf.profile(async () => {
    const start = performance.now();
    const outputs = tf.tidy(() => model.forward(input));
    const queued = performance.now();
    const arrays = buffers.for(outputs);
    await Promise.all(outputs.map((output, i) => readInto(output, arrays[i])));
    const end = performance.now();
    tf.dispose(outputs);
    readBackMs = end - queued;
    wallMs = end - start;
  });
  const records = info.kernels.map((kernel): KernelRecord => ({
    name: kernel.name,
    inputShapes: kernel.inputShapes,
    outputShapes: kernel.outputShapes,
    kernelTimeMs: typeof kernel.kernelTimeMs === 'number' ? kernel.kernelTimeMs : Number.NaN,
  }));
  return { records, readBackMs, wallMs };
}

/**
 * `runs` passes of `model` on `input` under `tf.profile`, summarised by class of kernel (see
 * `summarizeProfile`), after one unprofiled pass: the steady state, without the first inference pass's
 * one-off work (folding batch norms into their convolutions, packing filters). The caller keeps `model` and
 * `input`.
 * @throws CliError when the active backend reports no kernel times
 */
export async function profileForward(model: EfficientDet, input: tf.Tensor4D, runs: number): Promise<ForwardProfile> {
  const buffers = new OutputBuffers();
  const warm = tf.tidy(() => model.forward(input));
  const arrays = buffers.for(warm);
  await Promise.all(warm.map((output, i) => readInto(output, arrays[i])));
  tf.dispose(warm);
  const passes: ProfiledPass[] = [];
  for (let run = 0; run < runs; run++) passes.push(await profilePass(model, input, buffers));
  if (passes.some((pass) => pass.records.some((record) => Number.isNaN(record.kernelTimeMs)))) {
    throw new CliError(`--profile: the ${tf.getBackend()} backend reports no kernel times`);
  }
  return summarizeProfile(passes, isKernelOfActiveBackend);
}

/** Whether `name` is a kernel registered on the active backend (else a scope record). */
export function isKernelOfActiveBackend(name: string): boolean {
  return tf.getKernel(name, tf.getBackend()) !== undefined;
}

/**
 * The per-class medians of `passes` (passes of the same model and input, so each class runs the same kernels
 * every time). The read-back is a class of its own. The classes add up to `totalMs` by construction; the
 * median of each class is taken on its own, so `totalMs` need not equal the median of the passes' sums.
 * @param isKernel whether a record names a kernel (else it is a scope record; see `classifyKernels`)
 * @throws RangeError when there is no pass
 */
export function summarizeProfile(passes: readonly ProfiledPass[], isKernel: (name: string) => boolean): ForwardProfile {
  if (passes.length === 0) throw new RangeError('summarizeProfile needs at least one pass');
  const timesByClass = new Map<KernelClass, number[]>(KERNEL_CLASSES.map((kind) => [kind, []]));
  const countsByClass = new Map<KernelClass, number>();
  const namesByClass = new Map<KernelClass, Set<string>>();
  const scopeNames = new Set<string>();
  let scopeCount = 0;
  let kernelCount = 0;
  passes.forEach((pass, index) => {
    const kinds = classifyKernels(pass.records, isKernel);
    const sums = new Map<KernelClass, number>(KERNEL_CLASSES.map((kind) => [kind, 0]));
    sums.set('readBack', pass.readBackMs);
    pass.records.forEach((record, i) => {
      const kind = kinds[i];
      if (kind === null) {
        if (index === 0) {
          scopeCount++;
          scopeNames.add(record.name);
        }
        return;
      }
      sums.set(kind, (sums.get(kind) ?? 0) + record.kernelTimeMs);
      if (index === 0) {
        kernelCount++;
        countsByClass.set(kind, (countsByClass.get(kind) ?? 0) + 1);
        namesByClass.set(kind, (namesByClass.get(kind) ?? new Set()).add(record.name));
      }
    });
    for (const [kind, sum] of sums) timesByClass.get(kind)?.push(sum);
  });
  const { classes, totalMs } = classShares(timesByClass, countsByClass, namesByClass, (kind, ms) => kind === 'readBack' || ms > 0 || (countsByClass.get(kind) ?? 0) > 0);
  const wallMs = summarizeTimings(passes.map((pass) => pass.wallMs)).medianMs;
  return {
    runs: passes.length,
    classes,
    totalMs,
    wallMs,
    outsideKernelsMs: wallMs - totalMs,
    kernels: kernelCount,
    scopes: { count: scopeCount, names: [...scopeNames].sort() },
    macs: convolutionMacs(passes[0].records),
  };
}

/**
 * The classes of a profile from each class's time in every run (`timesByClass`, one sum per run for every
 * class), the count and names of what ran in it: the median of each class, its share of the medians' total,
 * for the classes `keep` passes, in `KERNEL_CLASSES` order.
 */
export function classShares(
  timesByClass: ReadonlyMap<KernelClass, number[]>,
  countsByClass: ReadonlyMap<KernelClass, number>,
  namesByClass: ReadonlyMap<KernelClass, Set<string>>,
  keep: (kind: KernelClass, ms: number) => boolean,
): { classes: ClassShare[]; totalMs: number } {
  const medians = KERNEL_CLASSES.map((kind) => ({ kind, ms: summarizeTimings(timesByClass.get(kind) ?? []).medianMs }));
  const totalMs = medians.reduce((sum, { ms }) => sum + ms, 0);
  const classes = medians
    .filter(({ kind, ms }) => keep(kind, ms))
    .map(({ kind, ms }) => ({
      kind,
      label: KERNEL_CLASS_LABELS[kind],
      ms,
      percent: totalMs > 0 ? (100 * ms) / totalMs : 0,
      kernels: countsByClass.get(kind) ?? 0,
      kernelNames: [...(namesByClass.get(kind) ?? [])].sort(),
    }));
  return { classes, totalMs };
}
