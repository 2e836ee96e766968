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
 * divided by it), from the parameter's data in the heap. With `upsampleLast`, the second of two maps is
 * at half resolution and read nearest-neighbour (`weightedSumUp_<act>`, split by output rows): a top-down
 * node's fusion without the upsampled copy.
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

// Values a chunk of the upsampling fusion's rows should hold at least, as the elementwise split's chunks do.
const CHUNK_VALUES = 16384;

/** Whether nearest-neighbour upsampling by 2, cropped, takes a side of `source` cells to `target` (as `upsampleNearestTo`). */
const reachable = (target: number, source: number) => target > (source - 1) * 2 && target <= source * 2;

function weightedSum({ inputs, backend, attrs }: KernelArgs<WeightedSumAttrs>): tf.TensorInfo {
  const { x0, x1, x2, weights } = inputs;
  const maps = [x0, x1, x2].filter((map): map is tf.TensorInfo => map !== undefined);
  checkFloat32(WEIGHTED_SUM, inputs);
  if (x0 === undefined || x1 === undefined) throw new WasmKernelError(`${WEIGHTED_SUM}: x0 and x1 are required`);
  if (attrs.upsampleLast !== undefined && typeof attrs.upsampleLast !== 'boolean') {
    throw new WasmKernelError(`${WEIGHTED_SUM}: upsampleLast must be true or false, got ${String(attrs.upsampleLast)}`);
  }
  const upsample = attrs.upsampleLast === true;
  if (upsample) {
    if (maps.length !== 2) throw new WasmKernelError(`${WEIGHTED_SUM}: upsampleLast takes two maps, got ${maps.length}`);
    const [n, height, width, channels] = x0.shape;
    if (x0.shape.length !== 4 || x1.shape.length !== 4 || x1.shape[0] !== n || x1.shape[3] !== channels || !reachable(height, x1.shape[1]) || !reachable(width, x1.shape[2])) {
      throw new WasmKernelError(
        `${WEIGHTED_SUM}: with upsampleLast, x1 must be [${n}, h, w, ${channels}] with (h - 1) * 2 < ${height} <= 2h and (w - 1) * 2 < ${width} <= 2w, got x0 [${x0.shape}] and x1 [${x1.shape}]`,
      );
    }
  } else {
    maps.forEach((map, i) => {
      if (!tf.util.arraysEqual(map.shape, x0.shape)) throw new WasmKernelError(`${WEIGHTED_SUM}: x${i} [${map.shape}] differs from x0 [${x0.shape}]`);
    });
  }
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
  const memory = backendMemory(backend);
  if (upsample) {
    const [n, height, width, channels] = x0.shape;
    const rows = n * height;
    const args = [pointers[0], pointers[1], bitsOf(w[0]), bitsOf(w[1]), pointer(backend, y), channels, width, height, x1.shape[2], x1.shape[1], 0, rows];
    const chunkRows = Math.max(1, Math.ceil(CHUNK_VALUES / (width * channels)), Math.ceil(rows / 0x7fff));
    const advance = args.map((_, i) => (i === 10 ? 1 : 0));
    runSplit(memory, `weightedSumUp_${attrs.activation}`, args, { units: rows, chunkUnits: chunkRows, advance, countArg: 11 });
    return y;
  }
  const args = [pointers[0], pointers[1], pointers[2] ?? 0, bitsOf(w[0]), bitsOf(w[1]), bitsOf(w[2] ?? 0), pointer(backend, y), count];
  const advance = [4, 4, maps.length === 3 ? 4 : 0, 0, 0, 0, 4, 0];
  runSplit(memory, `weightedSum${maps.length as 2 | 3}_${attrs.activation}`, args, elementwiseSplit(count, advance, 7));
  return y;
}

export const weightedSumConfig = wasmKernelConfig(WEIGHTED_SUM, weightedSum);
