import * as tf from '@tensorflow/tfjs-core';

import { DIRECT_CONV, type DirectConvAttrs } from '@edet/tensor';

import { convGeometry } from './conv-geometry.js';
import { WasmKernelError } from './errors.js';
import { checkFloat32, checkFusedActivation } from './float32-check.js';
import { runSplit } from './threads/kernel-threads.js';
import { convProgramName } from './wasm/activation-epilogue.js';
import { multiplyAddInUse } from './wasm/relaxed-simd.js';
import { type KernelArgs, allocate, backendMemory, pointer, wasmKernelConfig } from './wasm-backend.js';

/**
 * `EdetConv2d` for the wasm backend: a k x k convolution of few input channels (the stem) computed directly,
 * with its bias and activation in the output pass (`direct-conv-program.ts`), split by output rows over the
 * kernel threads where there are some (each output is computed whole by one thread, so results do not
 * depend on the thread count). float32, NHWC (the contract in `@edet/tensor`).
 */

// Multiply-adds a chunk of rows should hold at least, so that claiming it costs little next to its work.
const CHUNK_MACS = 1 << 18;

function directConv({ inputs, backend, attrs }: KernelArgs<DirectConvAttrs>): tf.TensorInfo {
  const { x, filter, bias } = inputs;
  checkFloat32(DIRECT_CONV, inputs);
  if (x === undefined || x.shape.length !== 4) throw new WasmKernelError(`${DIRECT_CONV}: x must be [N, H, W, in], got ${x === undefined ? 'none' : `[${x.shape}]`}`);
  const inChannels = x.shape[3];
  if (filter === undefined || filter.shape.length !== 4 || filter.shape[2] !== inChannels) {
    throw new WasmKernelError(`${DIRECT_CONV}: filter must be [kh, kw, ${inChannels}, out], got ${filter === undefined ? 'none' : `[${filter.shape}]`}`);
  }
  const outChannels = filter.shape[3];
  if (bias !== undefined && (bias.shape.length !== 1 || bias.shape[0] !== outChannels)) {
    throw new WasmKernelError(`${DIRECT_CONV}: bias must be [${outChannels}], got [${bias.shape}]`);
  }
  checkFusedActivation(DIRECT_CONV, attrs.activation);
  const xShape = x.shape as [number, number, number, number];
  const filterShape = filter.shape as [number, number, number, number];
  const geometry = convGeometry(xShape, filterShape, { strides: attrs.strides, pad: attrs.pad, dilations: attrs.dilations }, false);
  const { info } = geometry;
  if (info.outHeight < 0 || info.outWidth < 0) {
    throw new WasmKernelError(`${DIRECT_CONV}: x [${x.shape}] is smaller than the filter's reach with pad ${JSON.stringify(attrs.pad)}`);
  }
  const y = allocate(backend, [info.batchSize, info.outHeight, info.outWidth, outChannels], false);
  const rows = info.batchSize * info.outHeight;
  if (tf.util.sizeFromShape(y.shape) === 0) return y;
  const rowMacs = Math.max(1, info.outWidth * outChannels * inChannels * info.filterHeight * info.filterWidth);
  const chunkRows = Math.max(1, Math.ceil(CHUNK_MACS / rowMacs), Math.ceil(rows / 0x7fff));
  const args = [
    pointer(backend, x),
    pointer(backend, filter),
    bias === undefined ? 0 : pointer(backend, bias),
    pointer(backend, y),
    ...geometry.args,
    outChannels,
    0,
    rows,
  ];
  const advance = args.map((_, i) => (i === args.length - 2 ? 1 : 0));
  runSplit(backendMemory(backend), convProgramName('convForward', multiplyAddInUse(), attrs.activation), args, { units: rows, chunkUnits: chunkRows, advance, countArg: args.length - 1 });
  return y;
}

export const directConvConfig = wasmKernelConfig(DIRECT_CONV, directConv);
