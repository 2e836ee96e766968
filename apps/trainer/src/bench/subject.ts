import * as tf from '@tensorflow/tfjs-core';
import { EfficientDet, type InputSize, inputShape } from '@edet/model';
import { readInto } from '@edet/tensor';

import { backendRelaxedSimd, backendThreads } from '../backend.js';
import { architectureConfig } from '../model-names.js';

/** What every benchmark is asked for: one model (by name, or a D variant) at one input size and batch. */
export interface BenchmarkRequest {
  /** The model by published name; when given, `coef` is its config's. */
  model?: string;
  coef: number;
  /** Input side, or `[height, width]`, in pixels; default the variant's own input size (512 for D0). */
  size?: InputSize;
  batch: number;
  runs: number;
  warmup: number;
}

/** Classes of every benchmarked model (COCO's 90 ids, as the published checkpoints have). */
export const BENCH_CLASSES = 90;

/** The model and input a benchmark times. */
export interface BenchmarkSubject {
  /** Untrained (seeded) weights, `BENCH_CLASSES` classes. */
  model: EfficientDet;
  /** The input size actually used: a side, or `[height, width]`. */
  size: InputSize;
  /** `[batch, 3, height, width]`, seeded normal noise: latency does not depend on pixel values. */
  input: tf.Tensor4D;
  /** Where its passes read their outputs back to, reused from pass to pass. */
  outputs: OutputBuffers;
}

/** Builds the subject of a benchmark; the caller disposes `model` and `input`. */
export function benchmarkSubject(request: BenchmarkRequest): BenchmarkSubject {
  const architecture = request.model === undefined ? { compoundCoef: request.coef } : { model: request.model };
  const model = new EfficientDet(architectureConfig(architecture, { numClasses: BENCH_CLASSES, seed: 42 }));
  const size = request.size ?? model.config.inputSize;
  const [height, width] = inputShape(size, 'size');
  const input = tf.randomNormal([request.batch, 3, height, width], 0, 1, 'float32', 7) as tf.Tensor4D;
  return { model, size, input, outputs: new OutputBuffers() };
}

/** The fields every benchmark result starts with: the backend and what was timed. */
export interface BenchmarkDescription {
  backend: string;
  /** Threads the backend computes on (wasm: tfjs's thread count in this thread; cpu: 1). */
  threads: number;
  /** wasm: the convolutions multiply-add with relaxed SIMD (the runtime has it); false elsewhere. */
  relaxedSimd: boolean;
  /** The model by published name; `null` for a D variant given by `coef` alone. */
  model: string | null;
  coef: number;
  /** A side, or `[height, width]`. */
  size: InputSize;
  batch: number;
  runs: number;
  warmup: number;
}

/** `EfficientDet-D0`, `tf_efficientdet_lite0`: what a report calls the model it timed. */
export function describeModel(description: Pick<BenchmarkDescription, 'model' | 'coef'>): string {
  return description.model ?? `EfficientDet-D${description.coef}`;
}

/** `512x512`, `384x640`: an input size as the reports print it. */
export function formatSize(size: InputSize): string {
  const [height, width] = inputShape(size);
  return `${height}x${width}`;
}

/** The description of a run of `request` at input size `size` on the active backend. */
export function describeRequest(request: BenchmarkRequest, size: InputSize): BenchmarkDescription {
  return {
    backend: tf.getBackend(),
    threads: backendThreads(),
    relaxedSimd: backendRelaxedSimd(),
    model: request.model ?? null,
    coef: request.coef,
    size,
    batch: request.batch,
    runs: request.runs,
    warmup: request.warmup,
  };
}

/**
 * Arrays for the outputs of a model's forward passes, made on first use and reused by every later pass
 * (as a loop over frames reuses them; see `readInto`). Outputs of another shape get new arrays.
 */
export class OutputBuffers {
  private arrays: Float32Array[] = [];

  /** An array per tensor, of its size, the same ones as last time where the sizes match. */
  for(tensors: readonly tf.Tensor[]): Float32Array[] {
    this.arrays = tensors.map((tensor, i) => (this.arrays[i]?.length === tensor.size ? this.arrays[i] : new Float32Array(tensor.size)));
    return this.arrays;
  }
}

/**
 * Times one forward pass of `model` on `input` in milliseconds, until the data of all three outputs (class
 * scores, box deltas, anchors) has been read back, into `buffers`: tfjs queues work lazily, and a bare
 * `forward` would time only the scheduling. Disposes the outputs and every intermediate.
 */
export async function timeForward(model: EfficientDet, input: tf.Tensor4D, buffers: OutputBuffers = new OutputBuffers()): Promise<number> {
  const start = performance.now();
  const outputs = tf.tidy(() => model.forward(input));
  const arrays = buffers.for(outputs);
  await Promise.all(outputs.map((output, i) => readInto(output, arrays[i])));
  const elapsed = performance.now() - start;
  tf.dispose(outputs);
  return elapsed;
}
