import * as tf from '@tensorflow/tfjs-core';

import type { DepthwiseConvAttrs } from '@edet/tensor';

import { convGeometry } from './conv-geometry.js';
import { WasmKernelError } from './errors.js';
import { MAX_CHUNKS } from './threads/claimed-chunks.js';
import { runSplit } from './threads/kernel-threads.js';
import { convProgramName } from './wasm/activation-epilogue.js';
import { multiplyAddInUse } from './wasm/relaxed-simd.js';
import { type WasmBackend, allocate, backendMemory, pointer } from './wasm-backend.js';

/** What the direct and the depthwise inference convolutions hand to `convByOutputRows`, checked already. */
export interface OutputRowsConv {
  kernelName: string;
  /** `convForward` (the direct convolution: its output channel count goes after the geometry) or `depthwiseForward`. */
  program: 'convForward' | 'depthwiseForward';
  x: tf.TensorInfo;
  filter: tf.TensorInfo;
  bias?: tf.TensorInfo;
  attrs: DepthwiseConvAttrs;
  outChannels: number;
  /** Multiply-adds a chunk of output rows should hold at least, so that claiming it costs little next to its work. */
  chunkMacs: number;
}

/**
 * Runs a fused inference convolution (`direct-conv-program.ts`, `depthwise-forward-program.ts`) over its
 * output rows, numbered across the batch, split over the kernel threads where there are some: each output
 * is computed whole by one thread, so results do not depend on the thread count. Returns the new `y`
 * `[N, outHeight, outWidth, outChannels]` (the caller's output; an empty one when any axis is 0).
 * @throws WasmKernelError when `x` is smaller than the filter's reach
 */
export function convByOutputRows(backend: WasmBackend, conv: OutputRowsConv): tf.TensorInfo {
  const { kernelName, program, x, filter, bias, attrs, outChannels } = conv;
  const depthwise = program === 'depthwiseForward';
  const xShape = x.shape as [number, number, number, number];
  const filterShape = filter.shape as [number, number, number, number];
  const geometry = convGeometry(xShape, filterShape, { strides: attrs.strides, pad: attrs.pad, dilations: attrs.dilations }, depthwise);
  const { info } = geometry;
  if (info.outHeight < 0 || info.outWidth < 0) {
    throw new WasmKernelError(`${kernelName}: x [${x.shape}] is smaller than the filter's reach with pad ${JSON.stringify(attrs.pad)}`);
  }
  const y = allocate(backend, [info.batchSize, info.outHeight, info.outWidth, outChannels], false);
  if (tf.util.sizeFromShape(y.shape) === 0) return y;
  const rows = info.batchSize * info.outHeight;
  const macsPerOutput = info.filterHeight * info.filterWidth * (depthwise ? 1 : xShape[3]);
  const rowMacs = Math.max(1, info.outWidth * outChannels * macsPerOutput);
  const chunkRows = Math.max(1, Math.ceil(conv.chunkMacs / rowMacs), Math.ceil(rows / MAX_CHUNKS));
  const args = [
    pointer(backend, x),
    pointer(backend, filter),
    bias === undefined ? 0 : pointer(backend, bias),
    pointer(backend, y),
    ...geometry.args,
    ...(depthwise ? [] : [outChannels]),
    0,
    rows,
  ];
  const advance = args.map((_, i) => (i === args.length - 2 ? 1 : 0));
  const name = convProgramName(program, multiplyAddInUse(), attrs.activation);
  runSplit(backendMemory(backend), name, args, { units: rows, chunkUnits: chunkRows, advance, countArg: args.length - 1 });
  return y;
}
