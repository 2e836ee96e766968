// End-to-end: gradients of a small detector-shaped net (separable conv blocks, batch norm in training mode,
// swish, max-pool, upsampling, a class head and a box head) under a focal loss and a Huber loss, checked
// along a random direction against a central difference. Also the registration rules.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import {
  EDET_GRADIENTS,
  NamedConv2d,
  SeparableConvBlock,
  maxPoolSameZeroPad,
  registerGradients,
  seedInitializers,
  upsampleNearest,
} from '@edet/tensor';

/** Sigmoid focal loss (alpha 0.25, gamma 1.5) written with the ops a loss package typically uses. */
function focalLoss(logits: tf.Tensor, labels: tf.Tensor): tf.Tensor {
  const p = tf.sigmoid(logits);
  const pt = tf.where(tf.equal(labels, 1), p, tf.sub(1, p));
  const alpha = tf.where(tf.equal(labels, 1), tf.fill(labels.shape, 0.25), tf.fill(labels.shape, 0.75));
  const ce = tf.neg(tf.log(tf.clipByValue(pt, 1e-7, 1)));
  return tf.sum(tf.mul(tf.mul(alpha, tf.pow(tf.sub(1, pt), 1.5)), ce));
}

/** Huber loss (delta 0.1) on box regressions, masked to positive anchors. */
function huberLoss(pred: tf.Tensor, target: tf.Tensor, mask: tf.Tensor): tf.Tensor {
  const diff = tf.abs(tf.sub(pred, target));
  const quadratic = tf.minimum(diff, 0.1);
  const linear = tf.sub(diff, quadratic);
  const loss = tf.add(tf.mul(0.5, tf.square(quadratic)), tf.mul(0.1, linear));
  return tf.div(tf.sum(tf.mul(loss, mask)), tf.maximum(tf.sum(mask), 1));
}

describe('end-to-end detector-shaped gradient', () => {
  it('matches a central difference along a random direction', () => {
    seedInitializers(3);
    const stem = new NamedConv2d(3, 8, 3, { stride: 2, bias: false });
    const block = new SeparableConvBlock(8, { activation: true }).train();
    const down = new SeparableConvBlock(8, { outChannels: 8 }).train();
    const classHead = new NamedConv2d(8, 3, 1);
    const boxHead = new NamedConv2d(8, 4, 1);
    const modules = [stem, block, down, classHead, boxHead];
    const params = modules.flatMap((m) => [...m.namedParameters().values()]);

    const images = tf.randomNormal([2, 12, 12, 3], 0, 1, 'float32', 5);
    const labels = tf.cast(tf.greater(tf.randomUniform([2, 6, 6, 3], 0, 1, 'float32', 6), 0.8), 'float32');
    const boxes = tf.randomNormal([2, 6, 6, 4], 0, 0.2, 'float32', 7);
    const positive = tf.cast(tf.greater(tf.sum(labels, -1, true), 0), 'float32');

    const loss = () =>
      tf.tidy(() => {
        const p3 = block.forward(stem.forward(images as tf.Tensor4D));
        const p4 = down.forward(maxPoolSameZeroPad(p3));
        const fused = tf.add(p3, upsampleNearest(p4)) as tf.Tensor4D;
        const cls = focalLoss(classHead.forward(fused), labels);
        const box = huberLoss(boxHead.forward(fused), boxes, positive);
        return tf.add(tf.div(cls, tf.maximum(tf.sum(positive), 1)), tf.mul(50, box)) as tf.Scalar;
      });

    const { value, grads } = tf.variableGrads(loss, params);
    expect(Number.isFinite(value.dataSync()[0])).toBe(true);
    for (const p of params) {
      const g = grads[p.name].dataSync();
      expect(g.every(Number.isFinite), p.name).toBe(true);
      expect(Math.max(...g.map(Math.abs)), p.name).toBeGreaterThan(0);
    }

    // Directional derivative <grad, v> against (L(θ + εv) - L(θ - εv)) / 2ε. Batch statistics make running
    // buffers move during these extra forwards, but training-mode outputs do not depend on them.
    const directions = params.map((p, i) => tf.randomNormal(p.shape, 0, 1, 'float32', 100 + i));
    const analytic = params.reduce((s, p, i) => s + tf.sum(tf.mul(grads[p.name], directions[i])).dataSync()[0], 0);
    const originals = params.map((p) => tf.clone(p));
    const eps = 1e-2;
    const shifted = (sign: number) => {
      params.forEach((p, i) => p.assign(tf.add(originals[i], tf.mul(directions[i], sign * eps))));
      return loss().dataSync()[0];
    };
    const numeric = (shifted(1) - shifted(-1)) / (2 * eps);
    params.forEach((p, i) => p.assign(originals[i]));
    expect(Math.abs(analytic - numeric)).toBeLessThan(0.02 * Math.abs(numeric) + 1e-3);
  });
});

describe('memory', () => {
  it('a gradient step through every family leaves no tensors behind', () => {
    const x = tf.variable(tf.randomNormal([2, 7, 7, 3], 0, 1, 'float32', 9));
    const w = tf.variable(tf.randomNormal([3, 3, 3, 4], 0, 0.3, 'float32', 10));
    const dw = tf.variable(tf.randomNormal([3, 3, 4, 1], 0, 0.3, 'float32', 11));
    const step = () => {
      const { value, grads } = tf.variableGrads(() =>
        tf.tidy(() => {
          const conv = tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 2, 'same');
          const depthwise = tf.depthwiseConv2d(conv, dw as tf.Tensor4D, 2, 'same');
          const pooled = tf.add(tf.maxPool(conv, 3, 2, 'same'), tf.avgPool(conv, 3, 2, 'same'));
          const resized = tf.image.resizeNearestNeighbor(tf.add(pooled, depthwise) as tf.Tensor4D, [4, 4]);
          const { mean, variance } = tf.moments(resized, [0, 1, 2]);
          const normed = tf.batchNorm(resized, mean, variance, tf.zeros([4]), tf.ones([4]));
          const picked = tf.gather(tf.reshape(normed, [-1, 4]), tf.tensor1d([0, 3, 3, 7], 'int32'));
          const strided = tf.reshape(tf.stridedSlice(normed, [0, 0, 0, 0], [2, 4, 4, 4], [1, 2, 2, 1]), [-1, 4]);
          return tf.mean(tf.sigmoid(tf.concat([picked, strided], 0)));
        }),
      );
      tf.dispose([value, ...Object.values(grads)]);
    };
    step();
    const before = tf.memory().numTensors;
    step();
    step();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, w, dw]);
  });
});

describe('registration', () => {
  it('registers one gradient per kernel, and calling again registers nothing', () => {
    const names = EDET_GRADIENTS.map((g) => g.kernelName);
    expect(new Set(names).size).toBe(names.length);
    expect(registerGradients()).toEqual([]);
    for (const name of names) expect(tf.getGradient(name), name).toBeDefined();
  });

  it('keeps a gradient someone else registered first', () => {
    const ours = tf.getGradient('Neg');
    const theirs: tf.GradConfig = { kernelName: 'Neg', gradFunc: (dy) => ({ x: () => tf.mul(dy as tf.Tensor, -1) }) };
    tf.unregisterGradient('Neg');
    tf.registerGradient(theirs);
    try {
      expect(registerGradients()).toEqual([]);
      expect(tf.getGradient('Neg')).toBe(theirs);
    } finally {
      tf.unregisterGradient('Neg');
      tf.registerGradient(ours);
    }
  });
});
