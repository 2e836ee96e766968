import * as tf from '@tensorflow/tfjs-core';

import { elementwiseSplit, runSplit } from './threads/kernel-threads.js';
import { type KernelArgs, backendMemory, pointer } from './wasm-backend.js';

/**
 * `Transpose` for the wasm backend, for the one transpose every detection pass starts with: a batch of
 * images from channels first to channels last (`[N, 3, H, W]`, perm `[0, 2, 3, 1]`, float32 or int32) in one
 * SIMD pass (`interleave3`), split by pixels over the kernel threads; the backend's own kernel took 1.3 ms
 * for D0's input. The values' bits are moved as they are (NaN payloads included). An empty tensor gets its
 * empty output here (the backend's kernel divides by zero on one); every other transpose is the backend's
 * own kernel.
 */

interface Attrs {
  perm: number[];
}

/** Whether `Transpose(x, perm)` is an image batch going from `[N, 3, H, W]` to `[N, H, W, 3]`. */
function isImagesToChannelsLast(x: tf.TensorInfo, perm: readonly number[]): boolean {
  return (
    (x.dtype === 'float32' || x.dtype === 'int32') &&
    x.shape.length === 4 &&
    x.shape[1] === 3 &&
    perm.length === 4 &&
    perm.every((axis, i) => axis === [0, 2, 3, 1][i])
  );
}

function imagesToChannelsLast({ inputs, backend }: KernelArgs<Attrs>): tf.TensorInfo {
  const { x } = inputs;
  const [batch, , height, width] = x.shape;
  const out = backend.makeOutput([batch, height, width, 3], x.dtype);
  const pixels = height * width;
  const [src, dst] = [pointer(backend, x), pointer(backend, out)];
  for (let n = 0; n < batch; n++) {
    const image = src + n * 3 * pixels * 4;
    const args = [image, image + pixels * 4, image + 2 * pixels * 4, dst + n * 3 * pixels * 4, pixels];
    runSplit(backendMemory(backend), 'interleave3', args, elementwiseSplit(pixels, [4, 4, 4, 12, 0], 4));
  }
  return out;
}

/** The kernel config; `fallback` (the backend's own kernel) runs every other transpose. */
export function transposeConfig(fallback: tf.KernelFunc): tf.KernelConfig {
  const kernelFunc = (args: KernelArgs<Attrs>) => {
    const { inputs, attrs, backend } = args;
    if (tf.util.sizeFromShape(inputs.x.shape) === 0) return backend.makeOutput(attrs.perm.map((axis) => inputs.x.shape[axis]), inputs.x.dtype);
    if (isImagesToChannelsLast(inputs.x, attrs.perm)) return imagesToChannelsLast(args);
    return fallback(args as unknown as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
  };
  return { kernelName: 'Transpose', backendName: 'wasm', kernelFunc: kernelFunc as unknown as tf.KernelFunc };
}
