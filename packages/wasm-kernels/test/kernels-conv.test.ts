/**
 * The wasm training kernels for convolutions against the cpu backend's kernels: Conv2DBackpropFilter,
 * Conv2DBackpropInput, DepthwiseConv2dNativeBackpropFilter and DepthwiseConv2dNativeBackpropInput over
 * batch 1 and 2, odd and even sizes, kernels 1/3/5, strides 1/2, 'same' / 'valid' / explicit padding and
 * 1, 3, 8, 40 channels.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';

import { registerWasmKernels } from '../src/index.js';
import { type KernelCase, expectMatchesCpu, randomValues } from './kernels-reference.js';

type Pad = 'same' | 'valid' | tf.backend_util.ExplicitPadding;

const PADS: Pad[] = [
  'same',
  'valid',
  [
    [0, 0],
    [1, 2],
    [0, 1],
    [0, 0],
  ],
];
const SIZES: [number, number][] = [
  [7, 7],
  [8, 6],
  [6, 9],
];
const CHANNELS = [1, 3, 8, 40];
const KERNELS = [1, 3, 5];
const STRIDES = [1, 2];

interface Geometry {
  label: string;
  xShape: [number, number, number, number];
  k: number;
  stride: number;
  pad: Pad;
  channels: number;
  /** Conv2D output channels / depthwise multiplier. */
  second: number;
}

/** Every (channels, kernel, stride, pad) combination, with batch, size and the second channel count cycling. */
function geometries(seconds: number[]): Geometry[] {
  const out: Geometry[] = [];
  let i = 0;
  for (const channels of CHANNELS) {
    for (const k of KERNELS) {
      for (const stride of STRIDES) {
        for (const pad of PADS) {
          const [h, w] = SIZES[i % SIZES.length];
          const batch = 1 + (i % 2);
          const second = seconds[Math.floor(i / 2) % seconds.length];
          i++;
          const padLabel = typeof pad === 'string' ? pad : 'explicit';
          out.push({
            label: `b${batch} ${h}x${w}x${channels} k${k} s${stride} ${padLabel} x${second}`,
            xShape: [batch, h, w, channels],
            k,
            stride,
            pad,
            channels,
            second,
          });
        }
      }
    }
  }
  return out;
}

function outShape(g: Geometry, filterShape: [number, number, number, number], depthwise: boolean, dilation = 1) {
  return tf.backend_util.computeConv2DInfo(g.xShape, filterShape, g.stride, dilation, g.pad, undefined, depthwise).outShape;
}

/** How a backward case is built: the kernel, its extra attributes, and the forward convolution it inverts. */
interface BackpropSpec {
  kernel: string;
  /** The attributes besides `filterShape` / `inputShape`. */
  attrs: Record<string, unknown>;
  depthwise: boolean;
  dilation?: number;
  label?: string;
}

/** A filter-gradient case of geometry `g`: random x and dy (the forward's output shape) from the two seeds. */
function filterGradCase(g: Geometry, xSeed: number, dySeed: number, spec: BackpropSpec): KernelCase {
  const filterShape: [number, number, number, number] = [g.k, g.k, g.channels, g.second];
  return {
    label: spec.label ?? g.label,
    kernel: spec.kernel,
    inputs: { x: randomValues(g.xShape, xSeed), dy: randomValues(outShape(g, filterShape, spec.depthwise, spec.dilation), dySeed) },
    attrs: { ...spec.attrs, filterShape },
  };
}

/** An input-gradient case of geometry `g`: random dy and filter from the two seeds. */
function inputGradCase(g: Geometry, dySeed: number, filterSeed: number, spec: BackpropSpec): KernelCase {
  const filterShape: [number, number, number, number] = [g.k, g.k, g.channels, g.second];
  return {
    label: spec.label ?? g.label,
    kernel: spec.kernel,
    inputs: { dy: randomValues(outShape(g, filterShape, spec.depthwise, spec.dilation), dySeed), filter: randomValues(filterShape, filterSeed) },
    attrs: { ...spec.attrs, inputShape: g.xShape },
  };
}

beforeAll(() => {
  registerWasmKernels();
});

describe('Conv2D backward kernels on wasm match cpu', () => {
  const cases = geometries([1, 3, 8, 40]);
  const filterSpec = (g: Geometry, label?: string): BackpropSpec => ({
    kernel: 'Conv2DBackpropFilter',
    attrs: { strides: g.stride, pad: g.pad, dataFormat: 'NHWC' },
    depthwise: false,
    label,
  });
  const inputSpec = (g: Geometry, label?: string): BackpropSpec => ({ ...filterSpec(g, label), kernel: 'Conv2DBackpropInput' });

  it('Conv2DBackpropFilter', async () => {
    await expectMatchesCpu(cases.map((g, i) => filterGradCase(g, 10 + i, 500 + i, filterSpec(g))));
  });

  it('Conv2DBackpropInput', async () => {
    await expectMatchesCpu(cases.map((g, i) => inputGradCase(g, 20 + i, 600 + i, inputSpec(g))));
  });

  it('Conv2DBackpropFilter and Input at a stem-like and a pointwise shape', async () => {
    const stem: Geometry = { label: 'stem 3->32 s2', xShape: [2, 34, 34, 3], k: 3, stride: 2, pad: 'same', channels: 3, second: 32 };
    const pointwise: Geometry = { label: '1x1 40->24', xShape: [2, 16, 16, 40], k: 1, stride: 1, pad: 'same', channels: 40, second: 24 };
    const cases: KernelCase[] = [];
    for (const g of [stem, pointwise]) {
      // One dy (seed 7) for both kernels.
      cases.push(filterGradCase(g, 8, 7, filterSpec(g, `${g.label} filter`)));
      cases.push(inputGradCase(g, 7, 9, inputSpec(g, `${g.label} input`)));
    }
    await expectMatchesCpu(cases);
  });
});

describe('depthwise backward kernels on wasm match cpu', () => {
  // Multiplier 1 throughout (EfficientDet's case), and 2 for a quarter of the cases.
  const cases = geometries([1, 1, 2, 1]);
  const spec = (g: Geometry, kernel: string, dilation: number): BackpropSpec => ({
    kernel,
    attrs: { strides: g.stride, pad: g.pad, dilations: dilation },
    depthwise: true,
    dilation,
  });
  function filterCase(g: Geometry, i: number, dilation = 1): KernelCase {
    return filterGradCase(g, 30 + i, 700 + i, spec(g, 'DepthwiseConv2dNativeBackpropFilter', dilation));
  }

  function inputCase(g: Geometry, i: number, dilation = 1): KernelCase {
    return inputGradCase(g, 40 + i, 800 + i, spec(g, 'DepthwiseConv2dNativeBackpropInput', dilation));
  }

  it('DepthwiseConv2dNativeBackpropFilter', async () => {
    await expectMatchesCpu(cases.map((g, i) => filterCase(g, i)));
  });

  it('DepthwiseConv2dNativeBackpropInput', async () => {
    await expectMatchesCpu(cases.map((g, i) => inputCase(g, i)));
  });

  // The cpu kernels ignore dilation (tfjs's own depthwise gradient refuses it), so dilated cases are checked
  // against the forward conv instead: both backward kernels are adjoints of it,
  // <dy, conv(x, w)> = <backpropFilter(x, dy), w> = <backpropInput(dy, w), x>.
  it.each([
    { label: 'dilation 2 k3 same', xShape: [2, 9, 8, 8], k: 3, pad: 'same', multiplier: 1 },
    { label: 'dilation 2 k3 valid m2', xShape: [1, 9, 10, 3], k: 3, pad: 'valid', multiplier: 2 },
  ] as const)('dilated: $label (adjoint of the forward conv)', ({ xShape, k, pad, multiplier }) => {
    tf.tidy(() => {
      const filterShape: [number, number, number, number] = [k, k, xShape[3], multiplier];
      const x = tf.tensor(randomValues([...xShape], 1).values, [...xShape]) as tf.Tensor4D;
      const w = tf.tensor(randomValues(filterShape, 2).values, filterShape) as tf.Tensor4D;
      const y = tf.depthwiseConv2d(x, w, 1, pad, 'NHWC', 2);
      const dy = tf.tensor(randomValues(y.shape, 3).values, y.shape);
      const attrs = { strides: 1, pad, dilations: 2 };
      const dw = tf.engine().runKernel('DepthwiseConv2dNativeBackpropFilter', { x, dy }, { ...attrs, filterShape }) as tf.Tensor;
      const dx = tf.engine().runKernel('DepthwiseConv2dNativeBackpropInput', { dy, filter: w }, { ...attrs, inputShape: [...xShape] }) as tf.Tensor;
      const forward = tf.sum(tf.mul(dy, y)).dataSync()[0];
      expect(tf.sum(tf.mul(dw, w)).dataSync()[0]).toBeCloseTo(forward, 3);
      expect(tf.sum(tf.mul(dx, x)).dataSync()[0]).toBeCloseTo(forward, 3);
    });
  });

  it('at EfficientNet-like shapes (3x3 s1, 3x3 s2, 5x5 s2 on TF-SAME, 40 channels)', async () => {
    const shapes: Geometry[] = [
      { label: 'dw3 s1 32x32x40', xShape: [2, 32, 32, 40], k: 3, stride: 1, pad: 'same', channels: 40, second: 1 },
      { label: 'dw3 s2 32x32x40', xShape: [2, 32, 32, 40], k: 3, stride: 2, pad: 'same', channels: 40, second: 1 },
      { label: 'dw5 s2 17x17x40', xShape: [2, 17, 17, 40], k: 5, stride: 2, pad: 'same', channels: 40, second: 1 },
    ];
    await expectMatchesCpu([...shapes.map((g, i) => filterCase(g, i)), ...shapes.map((g, i) => inputCase(g, i))]);
  });
});

describe('gradients through the registered kernels', () => {
  it('tf.grads of conv2d and depthwiseConv2d on wasm match cpu', async () => {
    const x = randomValues([2, 9, 8, 8], 1);
    const w = randomValues([3, 3, 8, 16], 2);
    const dw = randomValues([5, 5, 8, 1], 3);
    const grads = () =>
      tf.tidy(() => {
        const f = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => {
          const y = tf.depthwiseConv2d(a as tf.Tensor4D, c as tf.Tensor4D, 2, 'same');
          return tf.sum(tf.square(tf.conv2d(y, b as tf.Tensor4D, 1, 'same')));
        };
        const [ga, gb, gc] = tf.grads(f)([tf.tensor(x.values, x.shape), tf.tensor(w.values, w.shape), tf.tensor(dw.values, dw.shape)]);
        return [ga.dataSync(), gb.dataSync(), gc.dataSync()].map((v) => new Float32Array(v));
      });
    await tf.setBackend('wasm');
    const got = grads();
    await tf.setBackend('cpu');
    const want = grads();
    await tf.setBackend('wasm');
    for (let i = 0; i < 3; i++) {
      const scale = Math.max(...want[i].map(Math.abs));
      got[i].forEach((v, j) => expect(Math.abs(v - want[i][j])).toBeLessThanOrEqual(1e-4 * Math.max(1, scale)));
    }
  });
});
