import * as tf from '@tensorflow/tfjs-core';

import { POINTWISE_CONV, type PointwiseConvAttrs } from '@edet/tensor';

import { WasmKernelError } from './errors.js';
import { checkFloat32, checkFusedActivation } from './float32-check.js';
import { runSplit } from './threads/kernel-threads.js';
import { convProgramName } from './wasm/activation-epilogue.js';
import { multiplyAddInUse } from './wasm/relaxed-simd.js';
import { type KernelArgs, allocate, backendMemory, pointer, release, wasmKernelConfig } from './wasm-backend.js';
import { simdKernels } from './wasm/simd-module.js';

/**
 * `EdetPointwiseConv2d` for the wasm backend: the inference 1x1 convolution as a register-blocked matrix
 * product with its bias and activation in the output pass (`pointwise-forward-program.ts`), split by pixel
 * rows over the kernel threads where there are some (each output is computed whole by one thread, so results
 * do not depend on the thread count). float32, NHWC (the contract in `@edet/tensor`).
 *
 * With `inputScale` `[N, in]` (a squeeze-and-excitation gate), each image runs with its own filter, the
 * filter's input rows scaled by the image's gate (`rowScale`): one pass over the `[in, out]` filter instead
 * of one over the `[H, W, in]` map. With `residual` `[N, H, W, out]`, it is added in the output pass.
 */

// Multiply-adds of a grain of rows, the smallest chunk (about 13 us on one core): a job's last chunks are a
// grain, what the calling thread may wait for at the end. Its first chunks are larger (guided claims), so
// a job still costs few claims (each a JavaScript call into wasm): D0's 256x256 16->96 layer takes about
// 50, where equal chunks of this size were 380 and took 15-25% longer.
const CHUNK_MACS = 1 << 18;

function pointwiseConv({ inputs, backend, attrs }: KernelArgs<PointwiseConvAttrs>): tf.TensorInfo {
  const { x, filter, bias, inputScale, residual } = inputs;
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
  if (inputScale !== undefined && !tf.util.arraysEqual(inputScale.shape, [n, depth])) {
    throw new WasmKernelError(`${POINTWISE_CONV}: inputScale must be [${n}, ${depth}], got [${inputScale.shape}]`);
  }
  if (residual !== undefined && !tf.util.arraysEqual(residual.shape, [n, h, w, cols])) {
    throw new WasmKernelError(`${POINTWISE_CONV}: residual must be [${n}, ${h}, ${w}, ${cols}], got [${residual.shape}]`);
  }
  checkFusedActivation(POINTWISE_CONV, attrs.activation);
  const y = allocate(backend, [n, h, w, cols], false);
  const pixels = h * w;
  if (n * pixels === 0 || cols === 0) return y;
  const memory = backendMemory(backend);
  const program = convProgramName('pointwiseForward', multiplyAddInUse(), attrs.activation);
  // A row's multiply-adds; with depth 0 each output is the bias alone.
  const rowMacs = Math.max(1, depth * cols);
  const chunkRows = (rows: number) => Math.max(4 * Math.ceil(CHUNK_MACS / rowMacs / 4), Math.ceil(rows / 0x7fff));
  const biasAt = bias === undefined ? 0 : pointer(backend, bias);
  const residualAt = residual === undefined ? 0 : pointer(backend, residual);
  /** Rows `[first, first + rows)` of the output, with the filter at `filterAt`. */
  const run = (filterAt: number, first: number, rows: number) => {
    const args = [pointer(backend, x), filterAt, biasAt, pointer(backend, y), depth, cols, first, rows, residualAt];
    runSplit(memory, program, args, { units: rows, chunkUnits: chunkRows(rows), advance: [0, 0, 0, 0, 0, 0, 1, 0, 0], countArg: 7 });
  };
  if (inputScale === undefined) {
    run(pointer(backend, filter), 0, n * pixels);
    return y;
  }
  const scaled = allocate(backend, [depth, cols], false);
  try {
    const kernels = simdKernels(memory);
    for (let image = 0; image < n; image++) {
      kernels.rowScale(pointer(backend, filter), pointer(backend, inputScale) + 4 * image * depth, pointer(backend, scaled), cols, depth);
      run(pointer(backend, scaled), image * pixels, pixels);
    }
  } finally {
    release(backend, scaled);
  }
  return y;
}

export const pointwiseConvConfig = wasmKernelConfig(POINTWISE_CONV, pointwiseConv);
