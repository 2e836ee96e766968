import * as tf from '@tensorflow/tfjs-core';

import { type ConvAttrs, convGeometry } from './conv-geometry.js';
import { withFloat32Inputs } from './float32-inputs.js';
import { type KernelArgs, allocate, matMul, pointer, release, simd, transpose2d, view } from './wasm-backend.js';

/**
 * `Conv2DBackpropInput` for the wasm backend (replacing its scalar C++ loop, which runs about 10x slower
 * than the forward conv), as a matrix product on XNNPACK and a scatter:
 *
 *   cols[P, (p, q, i)] = sum_o dy[P, o] * W[p, q, i, o],   P = (n, oy, ox),
 *   dx = col2im(cols)   (each column entry added back to the input pixel its tap read),
 *
 * For an unpadded 1x1 stride-1 conv, `cols` is dx already. The transposed filter `W^T: [out, patch]` is
 * small. NCHW falls back to the backend's original kernel. int32 and bool inputs are read as float32 copies
 * and the result is float32, as tfjs's cpu kernel does.
 */

interface Attrs extends ConvAttrs {
  inputShape: [number, number, number, number];
}

function makeConv2dBackpropInput(fallback: tf.KernelFunc) {
  return function conv2dBackpropInput(args: KernelArgs<Attrs>): tf.TensorInfo {
    const { inputs, backend, attrs } = args;
    if (attrs.dataFormat === 'NCHW') {
      return fallback(args as unknown as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
    }
    const { dy, filter } = inputs;
    const inputShape = attrs.inputShape;
    const [kh, kw, inChannels, outChannels] = filter.shape;
    const geo = convGeometry(inputShape, filter.shape as [number, number, number, number], attrs, false);
    const { info } = geo;
    const positions = info.batchSize * info.outHeight * info.outWidth;
    const patch = kh * kw * inChannels;
    // Nothing to multiply (an empty dy or filter): dx is zeros, as on cpu; XNNPACK refuses empty products.
    if (positions === 0 || patch === 0 || outChannels === 0) return allocate(backend, [...inputShape], true);

    const filterT = transpose2d(backend, view(filter, [patch, outChannels])); // [out, patch]
    const cols = matMul(backend, view(dy, [positions, outChannels]), filterT); // [P, patch]
    release(backend, filterT);
    if (kh === 1 && kw === 1 && info.strideHeight === 1 && info.strideWidth === 1 && !geo.padded) {
      return view(cols, [...inputShape]);
    }
    const dx = allocate(backend, [...inputShape], true);
    simd(backend).col2im(pointer(backend, cols), pointer(backend, dx), ...geo.args);
    release(backend, cols);
    return dx;
  };
}

/** The kernel config; `fallback` (the backend's own kernel) handles what this one does not (NCHW). */
export function conv2dBackpropInputConfig(fallback: tf.KernelFunc): tf.KernelConfig {
  return {
    kernelName: 'Conv2DBackpropInput',
    backendName: 'wasm',
    kernelFunc: withFloat32Inputs('Conv2DBackpropInput', makeConv2dBackpropInput(fallback)) as unknown as tf.KernelFunc,
  };
}
