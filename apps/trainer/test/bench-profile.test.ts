// `edet bench --profile` and the GFLOP/s of the infer report: kernels classed by name and shapes, per-class
// medians that add up to the total, and multiply-adds counted from convolution shapes.
import * as tf from '@tensorflow/tfjs-core';
import { EfficientDet } from '@edet/model';
import { describe, expect, it } from 'vitest';

import { convolutionMacs, gflopPerSecond } from '../src/bench/flops.js';
import { type KernelRecord, classifyKernels } from '../src/bench/kernel-classes.js';
import { isKernelOfActiveBackend, profileForward, profilePass, summarizeProfile } from '../src/bench/profile.js';
import { runProgram } from './support/run-program.js';

/** A record as tf.profile writes it. */
const record = (name: string, inputShapes: (number[] | null)[], outputShape: number[], kernelTimeMs = 1): KernelRecord => ({
  name,
  inputShapes,
  outputShapes: [outputShape],
  kernelTimeMs,
});

describe('classifyKernels', () => {
  it('tells apart ops of one name by their shapes and by the op before them', () => {
    const map = [1, 8, 8, 16];
    const records = [
      record('Conv2D', [[1, 16, 16, 3], [3, 3, 3, 16]], map), // stem
      record('Add', [[16], []], [16]), // batch norm: var + eps
      record('Rsqrt', [[16]], [16]),
      record('Multiply', [map, [16]], map), // batch norm scale
      record('Add', [map, [16]], map), // batch norm shift
      record('EdetSwish', [map], map),
      record('unnamed scope', [map], map), // the custom-gradient op around the swish kernel
      record('Conv2D', [map, [1, 1, 16, 16]], map),
      record('Add', [map, [16]], map), // the convolution's bias
      record('Add', [map, map], map), // a residual connection
      record('Relu', [[2]], [2]), // fusion weights: relu(w) / (sum + eps)
      record('Sum', [[2]], []),
      record('Unpack', [[2]], []),
      record('Multiply', [[], map], map),
      record('Multiply', [[], map], map),
      record('Add', [map, map], map), // the weighted sum
      record('Sigmoid', [map], map),
      record('Multiply', [map, map], map), // x * sigmoid(x): swish composed (the cpu backend)
      record('DepthwiseConv2dNative', [map, [3, 3, 16, 1]], map),
      record('Reshape', [map], [1, 8, 1, 8, 1, 16]),
      record('Tile', [[1, 8, 1, 8, 1, 16]], [1, 8, 2, 8, 2, 16]), // nearest upsampling
      record('Tile', [[2, 3]], [4, 3]),
      record('Mean', [map], [1, 1, 1, 16]),
      record('MaxPool', [map], [1, 4, 4, 16]),
      record('Einsum', [map], map),
    ];
    expect(classifyKernels(records, (name) => name !== 'unnamed scope')).toEqual([
      'convKxK',
      'batchNorm',
      'batchNorm',
      'batchNorm',
      'batchNorm',
      'activation',
      null,
      'conv1x1',
      'bias',
      'elementwise',
      'fusion',
      'fusion',
      'fusion',
      'fusion',
      'fusion',
      'fusion',
      'activation',
      'activation',
      'depthwise',
      'dataMovement',
      'resampling',
      'dataMovement',
      'reduction',
      'resampling',
      'other',
    ]);
  });
});

describe('summarizeProfile', () => {
  it('takes the median of each class over the passes, counts the read-back, and leaves scope records out', () => {
    const pass = (conv: number, swish: number, readBackMs: number, wallMs: number) => ({
      records: [
        record('Conv2D', [[1, 4, 4, 8], [1, 1, 8, 8]], [1, 4, 4, 8], conv),
        record('EdetSwish', [[1, 4, 4, 8]], [1, 4, 4, 8], swish),
        record('unnamed scope', [[1, 4, 4, 8]], [1, 4, 4, 8], swish + 1),
        record('Einsum', [[1, 4, 4, 8]], [1, 4, 4, 8], 0.5),
      ],
      readBackMs,
      wallMs,
    });
    const profile = summarizeProfile([pass(10, 4, 1, 30), pass(12, 2, 3, 20), pass(30, 3, 2, 25)], (name) => name !== 'unnamed scope');
    const byKind = Object.fromEntries(profile.classes.map((share) => [share.kind, share]));
    // Medians by hand: conv {10, 12, 30} -> 12, swish {4, 2, 3} -> 3, read-back {1, 3, 2} -> 2, other 0.5.
    expect(byKind.conv1x1).toMatchObject({ ms: 12, kernels: 1, kernelNames: ['Conv2D'] });
    expect(byKind.activation).toMatchObject({ ms: 3, kernels: 1, kernelNames: ['EdetSwish'] });
    expect(byKind.readBack).toMatchObject({ ms: 2, kernels: 0 });
    expect(byKind.other).toMatchObject({ ms: 0.5, kernels: 1, kernelNames: ['Einsum'] });
    expect(profile.totalMs).toBeCloseTo(17.5, 12);
    expect(byKind.conv1x1.percent).toBeCloseTo((100 * 12) / 17.5, 10);
    expect(profile).toMatchObject({ runs: 3, wallMs: 25, kernels: 3, scopes: { count: 1, names: ['unnamed scope'] }, macs: 4 * 4 * 8 * 8 });
    expect(profile.outsideKernelsMs).toBeCloseTo(7.5, 12);
    expect(profile.classes.map((share) => share.kind)).toEqual(['conv1x1', 'activation', 'readBack', 'other']);
  });
});

describe('convolutionMacs', () => {
  it('counts the multiply-adds of a small convolution stack as by hand, the batch included', async () => {
    const x = tf.randomNormal([2, 16, 16, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
    const filters = [tf.ones([3, 3, 3, 8]), tf.ones([3, 3, 8, 1]), tf.ones([1, 1, 8, 16]), tf.ones([5, 5, 16, 2])] as tf.Tensor4D[];
    const info = await tf.profile(() =>
      tf.tidy(() => {
        const stem = tf.conv2d(x, filters[0], 2, 'same'); // [2, 8, 8, 8]
        const depthwise = tf.depthwiseConv2d(stem, filters[1], 1, 'same'); // [2, 8, 8, 8]
        const pointwise = tf.conv2d(depthwise, filters[2], 1, 'same'); // [2, 8, 8, 16]
        const multiplier = tf.depthwiseConv2d(pointwise, filters[3], 2, 'valid'); // [2, 2, 2, 32]
        return tf.sum(tf.add(multiplier, 1));
      }),
    );
    (info.result as tf.Tensor).dispose();
    tf.dispose([x, ...filters]);
    const records = info.kernels.map((kernel) => ({ ...kernel, kernelTimeMs: 0 }));
    // Per output element: kh * kw * input channels for a convolution, kh * kw for a depthwise one.
    const hand = 2 * (8 * 8 * 8 * (3 * 3 * 3) + 8 * 8 * 8 * (3 * 3) + 8 * 8 * 16 * 8 + 2 * 2 * 32 * (5 * 5));
    expect(convolutionMacs(records)).toBe(hand);
    expect(gflopPerSecond(hand, 2)).toBeCloseTo((2 * hand) / 2e6, 12);
  });

  it("counts a fused squeeze-and-excitation kernel as its two 1x1 convolutions of one pixel per image", () => {
    const se = { name: 'EdetSqueezeExcite', inputShapes: [[2, 5, 7, 40], [1, 1, 40, 10], [10], [1, 1, 10, 40], [40]], outputShapes: [[2, 5, 7, 40]], kernelTimeMs: 0 };
    // Per image: 40 -> 10 and 10 -> 40 on one pixel.
    expect(convolutionMacs([se])).toBe(2 * (40 * 10 + 10 * 40));
  });

  it("gives EfficientNet-B0 at 224x224 the paper's 0.39 B multiply-adds", async () => {
    // D0's backbone is B0 without its classifier head.
    const model = new EfficientDet({ compoundCoef: 0, numClasses: 90, seed: 42 });
    const x = tf.randomNormal([1, 224, 224, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
    try {
      const info = await tf.profile(() => tf.tidy(() => model.backbone.forward(x)));
      tf.dispose(info.result as tf.Tensor[]);
      const backbone = convolutionMacs(info.kernels.map((kernel) => ({ ...kernel, kernelTimeMs: 0 })));
      // Tan & Le (2019), Table 2: B0 0.39 B FLOPs (multiply-adds), to two digits. The head adds a 1x1
      // convolution 320 -> 1280 on the 7x7 map and the 1280 x 1000 classifier.
      const b0 = backbone + 7 * 7 * 320 * 1280 + 1280 * 1000;
      expect(b0).toBeGreaterThanOrEqual(0.385e9);
      expect(b0).toBeLessThan(0.395e9);
    } finally {
      model.dispose();
      x.dispose();
    }
  });
});

describe('a profiled D0 forward pass', () => {
  it('classes every kernel, adds the classes up to the total, counts the convolutions of the batch, and frees everything', async () => {
    const before = tf.memory().numTensors;
    const model = new EfficientDet({ compoundCoef: 0, numClasses: 90, seed: 42 });
    const batch = tf.randomNormal([2, 3, 64, 64], 0, 1, 'float32', 7) as tf.Tensor4D;
    const image = tf.slice(batch, [0, 0, 0, 0], [1, 3, 64, 64]);
    try {
      const profile = await profileForward(model, batch, 1);
      const sum = profile.classes.reduce((total, share) => total + share.ms, 0);
      expect(sum).toBeCloseTo(profile.totalMs, 9);
      expect(profile.classes.reduce((total, share) => total + share.percent, 0)).toBeCloseTo(100, 9);
      expect(profile.classes.reduce((total, share) => total + share.kernels, 0)).toBe(profile.kernels);
      // Every kernel D0 runs is in a named class; one full 3x3 convolution, the stem.
      expect(profile.classes.find((share) => share.kind === 'other')).toBeUndefined();
      expect(profile.classes.find((share) => share.kind === 'convKxK')?.kernels).toBe(1);
      // In inference the batch norms are folded into their convolutions: no batch-norm kernel runs.
      expect(profile.classes.find((share) => share.kind === 'batchNorm')?.kernels ?? 0).toBe(0);

      // An independent pass on one image, read straight from tf.profile: the same kernels, half the arithmetic.
      const { records } = await profilePass(model, image);
      const kernels = records.filter((entry) => isKernelOfActiveBackend(entry.name));
      expect(profile.kernels).toBe(kernels.length);
      expect(profile.scopes.count).toBe(records.length - kernels.length);
      expect(new Set(profile.classes.flatMap((share) => share.kernelNames))).toEqual(new Set(kernels.map((entry) => entry.name)));
      const convolutions = kernels.filter((entry) => ['Conv2D', 'DepthwiseConv2dNative', 'FusedConv2D', 'FusedDepthwiseConv2D', 'EdetPointwiseConv2d', 'EdetConv2d', 'EdetDepthwiseConv2d'].includes(entry.name));
      const convolutionClasses = profile.classes.filter((share) => ['conv1x1', 'convKxK', 'depthwise'].includes(share.kind));
      expect(convolutionClasses.reduce((total, share) => total + share.kernels, 0)).toBe(convolutions.length);
      expect(profile.macs).toBe(2 * convolutionMacs(records));
    } finally {
      model.dispose();
      tf.dispose([batch, image]);
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('bench --batch reports multiply-adds per image and GFLOP/s over the batch; --json carries the profile', async () => {
    const json = await runProgram(['bench', '--backend', 'wasm', '--size', '64', '--batch', '2', '--runs', '1', '--warmup', '0', '--profile', '--json']);
    expect(json.error).toBeUndefined();
    const report = JSON.parse(json.out);
    expect(report.macsPerImage).toBe(report.profile.macs / 2);
    expect(report.gflopPerSecond).toBeCloseTo((2 * 2 * report.macsPerImage) / (report.medianMs * 1e6), 9);
    expect(report.imagesPerSecond).toBeCloseTo(2000 / report.medianMs, 9);
    expect(report.profile.classes.map((share: { kind: string }) => share.kind)).toContain('readBack');

    const text = await runProgram(['bench', '--backend', 'wasm', '--size', '64', '--runs', '1', '--warmup', '0', '--profile']);
    expect(text.out).toContain(`GFLOP/s (${(report.macsPerImage / 1e9).toFixed(3)} G multiply-adds per image)`);
    // D0's 1x1 convolutions on wasm: 133, less the 16 blocks' two squeeze-and-excitation ones (one
    // EdetSqueezeExciteGate kernel each), less 4 per head (its prediction conv runs once over the 5 levels).
    expect(text.out).toMatch(/^ {2}1x1 convolutions +\d+\.\d\d ms +\d+\.\d% +93 kernels$/m);
    expect(text.out).toMatch(/^ {2}total +\d+\.\d\d ms 100\.0%/m);
  });
});
