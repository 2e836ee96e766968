import * as tf from '@tensorflow/tfjs-core';

import { WEIGHTED_SUM, type WeightedSumAttrs } from '@edet/tensor';

import { WasmKernelError } from './errors.js';
import { checkFloat32, checkFusedActivation } from './float32-check.js';
import { elementwiseSplit, runSplit } from './threads/kernel-threads.js';
import { type KernelArgs, allocate, backendMemory, floatView, pointer, wasmKernelConfig } from './wasm-backend.js';

/**
 * `EdetWeightedSum` for the wasm backend: a BiFPN node's fast normalised fusion and the activation after it
 * in one pass (`weighted-sum-program.ts`), split over the kernel threads where there are some. The weights
 * are normalised here, in float32 as the composed ops round them (relu, their sum, plus epsilon, each
 * divided by it), from the parameter's data in the heap.
 */

/** `relu(p) / (sum(relu(p)) + epsilon)`, each step rounded to float32; relu keeps NaN, as tfjs's does. */
export function normalizedFusionWeights(parameter: Float32Array, epsilon: number): number[] {
  const clamped = Array.from(parameter, (value) => (value < 0 ? 0 : value));
  let sum = 0;
  for (const value of clamped) sum = Math.fround(sum + value);
  const denominator = Math.fround(sum + Math.fround(epsilon));
  return clamped.map((value) => Math.fround(value / denominator));
}

const bitsOf = (value: number): number => new Int32Array(new Float32Array([value]).buffer)[0];

function weightedSum({ inputs, backend, attrs }: KernelArgs<WeightedSumAttrs>): tf.TensorInfo {
  const { x0, x1, x2, weights } = inputs;
  const maps = [x0, x1, x2].filter((map): map is tf.TensorInfo => map !== undefined);
  checkFloat32(WEIGHTED_SUM, inputs);
  if (x0 === undefined || x1 === undefined) throw new WasmKernelError(`${WEIGHTED_SUM}: x0 and x1 are required`);
  maps.forEach((map, i) => {
    if (!tf.util.arraysEqual(map.shape, x0.shape)) throw new WasmKernelError(`${WEIGHTED_SUM}: x${i} [${map.shape}] differs from x0 [${x0.shape}]`);
  });
  if (weights === undefined || weights.shape.length !== 1 || weights.shape[0] !== maps.length) {
    throw new WasmKernelError(`${WEIGHTED_SUM}: weights must be [${maps.length}], got ${weights === undefined ? 'none' : `[${weights.shape}]`}`);
  }
  checkFusedActivation(WEIGHTED_SUM, attrs.activation);
  if (typeof attrs.epsilon !== 'number') throw new WasmKernelError(`${WEIGHTED_SUM}: epsilon must be a number, got ${String(attrs.epsilon)}`);
  const y = allocate(backend, [...x0.shape], false);
  const count = tf.util.sizeFromShape(x0.shape);
  if (count === 0) return y;
  const w = normalizedFusionWeights(floatView(backend, weights), attrs.epsilon);
  const pointers = maps.map((map) => pointer(backend, map));
  const args = [pointers[0], pointers[1], pointers[2] ?? 0, bitsOf(w[0]), bitsOf(w[1]), bitsOf(w[2] ?? 0), pointer(backend, y), count];
  const advance = [4, 4, maps.length === 3 ? 4 : 0, 0, 0, 0, 4, 0];
  runSplit(backendMemory(backend), `weightedSum${maps.length as 2 | 3}_${attrs.activation}`, args, elementwiseSplit(count, advance, 7));
  return y;
}

export const weightedSumConfig = wasmKernelConfig(WEIGHTED_SUM, weightedSum);
