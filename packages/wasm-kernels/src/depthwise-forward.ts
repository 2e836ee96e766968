import * as tf from '@tensorflow/tfjs-core';

import { DEPTHWISE_CONV, type DepthwiseConvAttrs } from '@edet/tensor';

import { convByOutputRows } from './conv-by-output-rows.js';
import { WasmKernelError } from './errors.js';
import { checkFloat32, checkFusedActivation } from './float32-check.js';
import { type KernelArgs, wasmKernelConfig } from './wasm-backend.js';

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
  return convByOutputRows(backend, { kernelName: DEPTHWISE_CONV, program: 'depthwiseForward', x, filter, bias, attrs, outChannels: channels, chunkMacs: CHUNK_MACS });
}

export const depthwiseConvConfig = wasmKernelConfig(DEPTHWISE_CONV, depthwiseConv);
