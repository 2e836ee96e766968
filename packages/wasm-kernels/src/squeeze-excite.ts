import * as tf from '@tensorflow/tfjs-core';

import { SQUEEZE_EXCITE, SQUEEZE_EXCITE_GATE } from '@edet/tensor';

import { WasmKernelError } from './errors.js';
import { checkFloat32 } from './float32-check.js';
import { runSplit } from './threads/kernel-threads.js';
import { type KernelArgs, allocate, backendMemory, pointer, release, wasmKernelConfig } from './wasm-backend.js';
import { simdKernels } from './wasm/simd-module.js';

/**
 * `EdetSqueezeExcite` for the wasm backend: an EfficientNet block's channel gate in three steps instead of a
 * dozen kernels. The per-channel means (`rowMeans` over each row, split by rows over the kernel threads, then
 * over the row means), the gate
 * from them (two 1x1 convolutions of one pixel per image, `pointwiseForward_swish` then `_sigmoid`, on this
 * thread) and the scaled map (`channelScale`, split by pixels). Each thread computes whole outputs, so
 * results do not depend on the thread count.
 *
 * `EdetSqueezeExciteGate`: the first two steps alone, the gate `[N, C]`, for a block that scales its
 * projection's filter by it (`EdetPointwiseConv2d`'s `inputScale`) instead of the map.
 */

// Additions (means) or products (scale) a chunk should hold at least, so that claiming it costs little.
const CHUNK_WORK = 1 << 16;

/** Throws unless `info` has exactly `shape`. */
function expectShape(kernel: string, name: string, info: tf.TensorInfo | undefined, shape: number[]): asserts info is tf.TensorInfo {
  if (info === undefined || !tf.util.arraysEqual(info.shape, shape)) {
    throw new WasmKernelError(`${kernel}: ${name} must be [${shape}], got ${info === undefined ? 'none' : `[${info.shape}]`}`);
  }
}

/**
 * Checks the inputs of either kernel and returns `x` and the new gate `[N, C]` (the caller's to release;
 * `freeOnThrow` frees it on a throw), from the means of `x` (0 for a map of no pixels, as tfjs's mean gives).
 */
function gateOf(kernel: string, { inputs, backend }: KernelArgs): { x: tf.TensorInfo; gate: tf.TensorInfo } {
  const { x, reduceFilter, reduceBias, expandFilter, expandBias } = inputs;
  checkFloat32(kernel, inputs);
  if (x === undefined || x.shape.length !== 4) throw new WasmKernelError(`${kernel}: x must be [N, H, W, C], got ${x === undefined ? 'none' : `[${x.shape}]`}`);
  const [n, height, width, channels] = x.shape;
  if (reduceFilter === undefined || reduceFilter.shape.length !== 4) {
    throw new WasmKernelError(`${kernel}: reduceFilter must be [1, 1, ${channels}, S], got ${reduceFilter === undefined ? 'none' : `[${reduceFilter.shape}]`}`);
  }
  const squeezed = reduceFilter.shape[3];
  expectShape(kernel, 'reduceFilter', reduceFilter, [1, 1, channels, squeezed]);
  expectShape(kernel, 'reduceBias', reduceBias, [squeezed]);
  expectShape(kernel, 'expandFilter', expandFilter, [1, 1, squeezed, channels]);
  expectShape(kernel, 'expandBias', expandBias, [channels]);
  const gate = allocate(backend, [n, channels], false);
  if (n * channels === 0) return { x, gate };
  const pixels = height * width;
  const rowMeans = allocate(backend, [n * height, channels], false);
  const means = allocate(backend, [n, channels], pixels === 0);
  const hidden = allocate(backend, [n, Math.max(1, squeezed)], false);
  try {
    const memory = backendMemory(backend);
    const kernels = simdKernels(memory);
    const [xAt, rowMeansAt, meansAt, gateAt] = [x, rowMeans, means, gate].map((info) => pointer(backend, info));
    // The mean of each row over W (split by rows), then of the row means over H (zeros, as allocated, for no pixels).
    if (pixels > 0) {
      const rowChunk = Math.max(1, Math.ceil(CHUNK_WORK / (width * channels)), Math.ceil((n * height) / 0x7fff));
      const rowArgs = [xAt, rowMeansAt, width, channels, n * height];
      runSplit(memory, 'rowMeans', rowArgs, { units: n * height, chunkUnits: rowChunk, advance: [4 * width * channels, 4 * channels, 0, 0, 0], countArg: 4 });
      kernels.rowMeans(rowMeansAt, meansAt, height, channels, n);
    }
    const hiddenAt = pointer(backend, hidden);
    kernels.pointwiseForward_swish(meansAt, pointer(backend, reduceFilter), pointer(backend, reduceBias), hiddenAt, channels, squeezed, 0, n);
    kernels.pointwiseForward_sigmoid(hiddenAt, pointer(backend, expandFilter), pointer(backend, expandBias), gateAt, squeezed, channels, 0, n);
  } finally {
    release(backend, rowMeans, means, hidden);
  }
  return { x, gate };
}

function squeezeExcite(args: KernelArgs): tf.TensorInfo {
  const { backend } = args;
  const { x, gate } = gateOf(SQUEEZE_EXCITE, args);
  const [n, height, width, channels] = x.shape;
  const pixels = height * width;
  const y = allocate(backend, [...x.shape], false);
  try {
    if (n * pixels * channels === 0) return y;
    const memory = backendMemory(backend);
    const [xAt, yAt, gateAt] = [x, y, gate].map((info) => pointer(backend, info));
    const imageBytes = 4 * pixels * channels;
    const scaleChunk = Math.max(1, Math.ceil(CHUNK_WORK / channels), Math.ceil(pixels / 0x7fff));
    for (let image = 0; image < n; image++) {
      const args = [xAt + image * imageBytes, gateAt + 4 * image * channels, yAt + image * imageBytes, channels, pixels];
      runSplit(memory, 'channelScale', args, { units: pixels, chunkUnits: scaleChunk, advance: [4 * channels, 0, 4 * channels, 0, 0], countArg: 4 });
    }
  } finally {
    release(backend, gate);
  }
  return y;
}

function squeezeExciteGate(args: KernelArgs): tf.TensorInfo {
  return gateOf(SQUEEZE_EXCITE_GATE, args).gate;
}

export const squeezeExciteConfig = wasmKernelConfig(SQUEEZE_EXCITE, squeezeExcite);
export const squeezeExciteGateConfig = wasmKernelConfig(SQUEEZE_EXCITE_GATE, squeezeExciteGate);
