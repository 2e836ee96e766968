import * as tf from '@tensorflow/tfjs-core';

import { POINTWISE_CONV, type PointwiseConvAttrs } from '@edet/tensor';

import { WasmKernelError } from './errors.js';
import { checkFloat32, checkFusedActivation } from './float32-check.js';
import { runSplit } from './threads/kernel-threads.js';
import { convProgramName } from './wasm/activation-epilogue.js';
import { multiplyAddInUse } from './wasm/relaxed-simd.js';
import { type KernelArgs, allocate, backendMemory, pointer, wasmKernelConfig } from './wasm-backend.js';

/**
 * `EdetPointwiseConv2d` for the wasm backend: the inference 1x1 convolution as a register-blocked matrix
 * product with its bias and activation in the output pass (`pointwise-forward-program.ts`), split by pixel
 * rows over the kernel threads where there are some (each output is computed whole by one thread, so results
 * do not depend on the thread count). float32, NHWC (the contract in `@edet/tensor`).
 */

// Multiply-adds a chunk of rows should hold at least, so that claiming it (a JavaScript call into wasm)
// costs little next to its work: at 2^18, D0's 256x256 16->96 layer ran 380 chunks and took 15-25% longer.
const CHUNK_MACS = 1 << 20;

function pointwiseConv({ inputs, backend, attrs }: KernelArgs<PointwiseConvAttrs>): tf.TensorInfo {
  const { x, filter, bias } = inputs;
  checkFloat32(POINTWISE_CONV, inputs);
  if (x.shape.length !== 4) throw new WasmKernelError(`${POINTWISE_CONV}: x must be [N, H, W, in], got [${x.shape}]`);
  const [n, h, w, depth] = x.shape;
  if (filter.shape.length !== 4 || filter.shape[0] !== 1 || filter.shape[1] !== 1 || filter.shape[2] !== depth) {
    throw new WasmKernelError(`${POINTWISE_CONV}: filter must be [1, 1, ${depth}, out], got [${filter.shape}]`);
  }
  const cols = filter.shape[3];
  if (bias !== undefined && (bias.shape.length !== 1 || bias.shape[0] !== cols)) {
    throw new WasmKernelError(`${POINTWISE_CONV}: bias must be [${cols}], got [${bias.shape}]`);
  }
  checkFusedActivation(POINTWISE_CONV, attrs.activation);
  const y = allocate(backend, [n, h, w, cols], false);
  const rows = n * h * w;
  if (rows === 0 || cols === 0) return y;
  // A row's multiply-adds; with depth 0 each output is the bias alone.
  const rowMacs = Math.max(1, depth * cols);
  const chunkRows = Math.max(4 * Math.ceil(CHUNK_MACS / rowMacs / 4), Math.ceil(rows / 0x7fff));
  const args = [pointer(backend, x), pointer(backend, filter), bias === undefined ? 0 : pointer(backend, bias), pointer(backend, y), depth, cols, 0, rows];
  runSplit(backendMemory(backend), convProgramName('pointwiseForward', multiplyAddInUse(), attrs.activation), args, {
    units: rows,
    chunkUnits: chunkRows,
    advance: [0, 0, 0, 0, 0, 0, 1, 0],
    countArg: 7,
  });
  return y;
}

export const pointwiseConvConfig = wasmKernelConfig(POINTWISE_CONV, pointwiseConv);
