// Finite-difference checks of the convolution gradients (Conv2D, DepthwiseConv2dNative,
// Conv2DBackpropInput) over 'same' / 'valid' / explicit padding, strides 1 and 2 and odd sizes, and of the
// forward-op fallbacks used where a backend lacks the backward kernels.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import '@edet/tensor';
import { convGradients } from '../src/gradients/conv.js';
import {
  type ConvGeometry,
  conv2dFilterGradFromOps,
  conv2dInputGradFromOps,
  depthwiseFilterGradFromOps,
  depthwiseInputGradFromOps,
} from '../src/gradients/conv-backprop.js';
import { LINEAR, KernelLog, onCpu, randomTensor } from './gradients-check.js';

const log = new KernelLog();
const r = (shape: number[], seed: number) => randomTensor(shape, seed) as tf.Tensor4D;
// These kernels are linear in each argument, so finite differences are exact up to rounding.
const linear = LINEAR;

type Pad = ConvGeometry['pad'];
/** [description, input size, kernel, stride, pad] */
const geometries: [string, number, number, 1 | 2, Pad][] = [
  ['3x3 stride 1 same', 5, 3, 1, 'same'],
  ['3x3 stride 2 same, odd size', 5, 3, 2, 'same'],
  ['3x3 stride 2 same, even size', 6, 3, 2, 'same'],
  ['3x3 stride 2 valid, leftover row', 6, 3, 2, 'valid'],
  ['2x2 stride 2 same, odd size', 5, 2, 2, 'same'],
  ['5x5 stride 2 same', 6, 5, 2, 'same'],
  ['1x1 stride 2', 5, 1, 2, 'valid'],
  [
    '3x3 stride 2 explicit pads',
    5,
    3,
    2,
    [
      [0, 0],
      [1, 0],
      [0, 2],
      [0, 0],
    ],
  ],
];

describe('Conv2D gradient', () => {
  for (const [name, size, k, stride, pad] of geometries) {
    it(name, async () => {
      const x = r([2, size, size, 2], size * 10 + k);
      const filter = r([k, k, 2, 3], k * 7 + stride);
      await log.check((a, b) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, stride, pad), [x, filter], linear);
    });
  }

  it('3-D input (the op adds the batch axis)', async () => {
    await log.check(
      (a, b) => tf.conv2d(a as tf.Tensor3D, b as tf.Tensor4D, 2, 'same'),
      [r([5, 5, 2], 1), r([3, 3, 2, 2], 2)],
      linear,
    );
  });

  it('dilations > 1 are refused with a clear error', () => {
    const g = () =>
      tf.grad((a: tf.Tensor) =>
        tf.conv2d(a as tf.Tensor4D, tf.ones([3, 3, 1, 1]) as tf.Tensor4D, 1, 'same', 'NHWC', 2),
      )(tf.ones([1, 5, 5, 1]));
    expect(g).toThrow(/dilations/);
  });
});

describe('DepthwiseConv2dNative gradient', () => {
  for (const [name, size, k, stride, pad] of geometries) {
    for (const multiplier of [1, 2]) {
      it(`${name}, channel multiplier ${multiplier}`, async () => {
        const x = r([2, size, size, 2], size * 10 + k + multiplier);
        const filter = r([k, k, 2, multiplier], k * 7 + stride + multiplier);
        await log.check(
          (a, b) => tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, stride, pad),
          [x, filter],
          linear,
        );
      });
    }
  }
});

describe('Conv2DBackpropInput gradient (conv2dTranspose)', () => {
  const cases: [string, number, number, 1 | 2, 'same' | 'valid'][] = [
    ['stride 2 same to an odd size', 3, 5, 2, 'same'],
    ['stride 2 same to an even size', 3, 6, 2, 'same'],
    ['stride 2 valid', 2, 5, 2, 'valid'],
    ['stride 1 same', 4, 4, 1, 'same'],
  ];
  for (const [name, inSize, outSize, stride, pad] of cases) {
    it(name, async () => {
      const x = r([2, inSize, inSize, 3], inSize + outSize);
      const filter = r([3, 3, 2, 3], outSize * 3 + stride);
      await log.check(
        (a, b) => tf.conv2dTranspose(a as tf.Tensor4D, b as tf.Tensor4D, [2, outSize, outSize, 2], stride, pad),
        [x, filter],
        linear,
      );
    });
  }
});

describe('forward-op fallbacks match the cpu backward kernels', () => {
  const maxDiff = (a: tf.Tensor, b: tf.Tensor) => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0];

  for (const [name, size, k, stride, pad] of geometries) {
    it(name, async () => {
      const x = r([2, size, size, 3], size + k);
      const filter = r([k, k, 3, 2], k + stride);
      const dwFilter = r([k, k, 3, 2], k + stride + 1);
      const geo: ConvGeometry = { strides: stride, pad };
      // The references: the cpu backend's backward kernels (which the other tests check against finite
      // differences), run through the registered gradients.
      const reference = await onCpu(async () => {
        const dy = r(tf.conv2d(x, filter, stride, pad).shape, 3);
        const dyDw = r(tf.depthwiseConv2d(x, dwFilter, stride, pad).shape, 4);
        const [dx, dw] = tf.grads((a, b) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, stride, pad))(
          [x, filter],
          dy,
        );
        const [ddx, ddw] = tf.grads((a, b) => tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, stride, pad))(
          [x, dwFilter],
          dyDw,
        );
        return { dy, dyDw, dx, dw, ddx, ddw };
      });
      const { dy, dyDw } = reference;
      expect(maxDiff(conv2dInputGradFromOps(dy, filter, x.shape, geo), reference.dx)).toBeLessThan(1e-4);
      expect(maxDiff(conv2dFilterGradFromOps(x, dy, filter.shape, geo), reference.dw)).toBeLessThan(1e-4);
      expect(maxDiff(depthwiseInputGradFromOps(dyDw, dwFilter, x.shape, geo), reference.ddx)).toBeLessThan(1e-4);
      expect(maxDiff(depthwiseFilterGradFromOps(x, dyDw, dwFilter.shape, geo), reference.ddw)).toBeLessThan(1e-4);
    });
  }
});

describe('fused ops (no registration needed)', () => {
  it('tf.fused.conv2d with bias and relu (unfused under a tape) on the active backend', async () => {
    await log.check(
      (a, b, c) =>
        tf.fused.conv2d({
          x: a as tf.Tensor4D,
          filter: b as tf.Tensor4D,
          bias: c,
          strides: 2,
          pad: 'same',
          activation: 'relu',
        }),
      [r([1, 5, 5, 2], 5), r([3, 3, 2, 2], 6), r([2], 7)],
      { eps: 1e-3, atol: 2e-3 },
    );
  });

  it('tf.fused.conv2d / depthwiseConv2d / matMul with linear activation (customGrad) on cpu', async () => {
    // Linear fused ops keep the fused kernel and use tfjs's customGrad, which calls the backward kernels;
    // wasm has no Conv2DBackpropFilter, so this runs on cpu.
    await onCpu(async () => {
      const x = r([1, 5, 5, 2], 8);
      const bias = r([2], 9);
      await log.check(
        (a, b, c) =>
          tf.fused.conv2d({ x: a as tf.Tensor4D, filter: b as tf.Tensor4D, bias: c, strides: 2, pad: 'same' }),
        [x, r([3, 3, 2, 2], 10), bias],
        linear,
      );
      await log.check(
        (a, b, c) =>
          tf.fused.depthwiseConv2d({ x: a as tf.Tensor4D, filter: b as tf.Tensor4D, bias: c, strides: 2, pad: 'same' }),
        [x, r([3, 3, 2, 1], 11), bias],
        linear,
      );
      await log.check(
        (a, b, c) => tf.fused.matMul({ a: a as tf.Tensor2D, b: b as tf.Tensor2D, bias: c }),
        [r([2, 3], 12), r([3, 2], 13), bias],
        linear,
      );
    });
  });
});

describe('coverage', () => {
  it('exercised every conv gradient', () => {
    expect(log.missing(convGradients)).toEqual([]);
  });
});
