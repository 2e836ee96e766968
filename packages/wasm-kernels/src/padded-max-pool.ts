import * as tf from '@tensorflow/tfjs-core';

import { PADDED_MAX_POOL, type PaddedMaxPoolAttrs } from '@edet/tensor';

import { WasmKernelError } from './errors.js';
import { checkFloat32 } from './float32-check.js';
import { runSplit } from './threads/kernel-threads.js';
import { type KernelArgs, allocate, backendMemory, pointer, wasmKernelConfig } from './wasm-backend.js';

/**
 * `EdetPaddedMaxPool` for the wasm backend: a "SAME" max-pool with its padding value (`maxPoolSame`) in
 * one pass over the map, without the padded copy (`padded-max-pool-program.ts`), split by output rows over
 * the kernel threads where there are some (each output is computed whole by one thread).
 */

// Taps a chunk of rows should hold at least, so that claiming it costs little next to its work.
const CHUNK_TAPS = 1 << 16;

const bitsOf = (value: number): number => new Int32Array(new Float32Array([value]).buffer)[0];

function paddedMaxPool({ inputs, backend, attrs }: KernelArgs<PaddedMaxPoolAttrs>): tf.TensorInfo {
  const { x } = inputs;
  checkFloat32(PADDED_MAX_POOL, inputs);
  if (x === undefined || x.shape.length !== 4) throw new WasmKernelError(`${PADDED_MAX_POOL}: x must be [N, H, W, C], got ${x === undefined ? 'none' : `[${x.shape}]`}`);
  const { filterSize, stride, pads, padValue } = attrs;
  const whole = (value: unknown, from: number) => Number.isInteger(value) && (value as number) >= from;
  if (!whole(filterSize, 1)) throw new WasmKernelError(`${PADDED_MAX_POOL}: filterSize must be a whole number from 1, got ${String(filterSize)}`);
  if (!whole(stride, 1)) throw new WasmKernelError(`${PADDED_MAX_POOL}: stride must be a whole number from 1, got ${String(stride)}`);
  if (!Array.isArray(pads) || pads.length !== 4 || !pads.every((pad) => whole(pad, 0))) {
    throw new WasmKernelError(`${PADDED_MAX_POOL}: pads must be [top, bottom, left, right], whole numbers from 0, got ${JSON.stringify(pads)}`);
  }
  if (typeof padValue !== 'number') throw new WasmKernelError(`${PADDED_MAX_POOL}: padValue must be a number, got ${String(padValue)}`);
  const [n, height, width, channels] = x.shape;
  const [top, bottom, left, right] = pads;
  if (height + top + bottom < filterSize || width + left + right < filterSize) {
    throw new WasmKernelError(`${PADDED_MAX_POOL}: x [${x.shape}] padded by ${JSON.stringify(pads)} is smaller than the ${filterSize}x${filterSize} window`);
  }
  const outHeight = Math.floor((height + top + bottom - filterSize) / stride) + 1;
  const outWidth = Math.floor((width + left + right - filterSize) / stride) + 1;
  const y = allocate(backend, [n, outHeight, outWidth, channels], false);
  const rows = n * outHeight;
  if (rows * outWidth * channels === 0) return y;
  const rowTaps = outWidth * channels * filterSize * filterSize;
  const chunkRows = Math.max(1, Math.ceil(CHUNK_TAPS / rowTaps), Math.ceil(rows / 0x7fff));
  const args = [pointer(backend, x), pointer(backend, y), height, width, channels, outHeight, outWidth, filterSize, stride, top, left, bitsOf(padValue), 0, rows];
  const advance = args.map(() => 0);
  advance[12] = 1;
  runSplit(backendMemory(backend), 'paddedMaxPool', args, { units: rows, chunkUnits: chunkRows, advance, countArg: 13 });
  return y;
}

export const paddedMaxPoolConfig = wasmKernelConfig(PADDED_MAX_POOL, paddedMaxPool);
