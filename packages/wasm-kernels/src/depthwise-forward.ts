import * as tf from '@tensorflow/tfjs-core';

import { DEPTHWISE_CONV, type DepthwiseConvAttrs } from '@edet/tensor';

import { convGeometry } from './conv-geometry.js';
import { WasmKernelError } from './errors.js';
import { checkFloat32, checkFusedActivation } from './float32-check.js';
import { runSplit } from './threads/kernel-threads.js';
import { convProgramName } from './wasm/activation-epilogue.js';
import { multiplyAddInUse } from './wasm/relaxed-simd.js';
import { type KernelArgs, allocate, backendMemory, pointer, wasmKernelConfig } from './wasm-backend.js';

/**
 * `EdetDepthwiseConv2d` for the wasm backend: the inference depthwise convolution with its bias and
 * activation in the output pass (`depthwise-forward-program.ts`), split by output rows over the kernel
 * threads where there are some (each output is computed whole by one thread, so results do not depend on
 * the thread count). float32, NHWC, channel multiplier 1 (the contract in `@edet/tensor`).
 */

// Multiply-adds a chunk of rows should hold at least, so that claiming it costs little next to its work.
const CHUNK_MACS = 65536;

function depthwiseConv({ inputs, backend, attrs }: KernelArgs<DepthwiseConvAttrs>): tf.TensorInfo {
  const { x, filter, bias } = inputs;
  checkFloat32(DEPTHWISE_CONV, inputs);
  if (x.shape.length !== 4) throw new WasmKernelError(`${DEPTHWISE_CONV}: x must be [N, H, W, C], got [${x.shape}]`);
  const channels = x.shape[3];
  if (filter.shape.length !== 4 || filter.shape[2] !== channels || filter.shape[3] !== 1) {
    throw new WasmKernelError(`${DEPTHWISE_CONV}: filter must be [kh, kw, ${channels}, 1], got [${filter.shape}]`);
  }
  if (bias !== undefined && (bias.shape.length !== 1 || bias.shape[0] !== channels)) {
    throw new WasmKernelError(`${DEPTHWISE_CONV}: bias must be [${channels}], got [${bias.shape}]`);
  }
  checkFusedActivation(DEPTHWISE_CONV, attrs.activation);
  const xShape = x.shape as [number, number, number, number];
  const filterShape = filter.shape as [number, number, number, number];
  const geometry = convGeometry(xShape, filterShape, { strides: attrs.strides, pad: attrs.pad, dilations: attrs.dilations }, true);
  const { info } = geometry;
  if (info.outHeight < 0 || info.outWidth < 0) {
    throw new WasmKernelError(`${DEPTHWISE_CONV}: x [${x.shape}] is smaller than the filter's reach with pad ${JSON.stringify(attrs.pad)}`);
  }
  const y = allocate(backend, [info.batchSize, info.outHeight, info.outWidth, channels], false);
  const rows = info.batchSize * info.outHeight;
  if (tf.util.sizeFromShape(y.shape) === 0) return y;
  const rowMacs = Math.max(1, info.outWidth * channels * info.filterHeight * info.filterWidth);
  const chunkRows = Math.max(1, Math.ceil(CHUNK_MACS / rowMacs), Math.ceil(rows / 0x7fff));
  const args = [
    pointer(backend, x),
    pointer(backend, filter),
    bias === undefined ? 0 : pointer(backend, bias),
    pointer(backend, y),
    ...geometry.args,
    0,
    rows,
  ];
  const advance = args.map((_, i) => (i === args.length - 2 ? 1 : 0));
  runSplit(backendMemory(backend), convProgramName('depthwiseForward', multiplyAddInUse(), attrs.activation), args, { units: rows, chunkUnits: chunkRows, advance, countArg: args.length - 1 });
  return y;
}

export const depthwiseConvConfig = wasmKernelConfig(DEPTHWISE_CONV, depthwiseConv);
