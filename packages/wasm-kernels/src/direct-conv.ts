import * as tf from '@tensorflow/tfjs-core';

import { DIRECT_CONV, type DirectConvAttrs } from '@edet/tensor';

import { convByOutputRows } from './conv-by-output-rows.js';
import { WasmKernelError } from './errors.js';
import { checkFloat32, checkFusedActivation } from './float32-check.js';
import { type KernelArgs, wasmKernelConfig } from './wasm-backend.js';

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
  return convByOutputRows(backend, { kernelName: DIRECT_CONV, program: 'convForward', x, filter, bias, attrs, outChannels, chunkMacs: CHUNK_MACS });
}

export const directConvConfig = wasmKernelConfig(DIRECT_CONV, directConv);
