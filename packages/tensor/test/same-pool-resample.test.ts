// The two max-pool paddings of EfficientDet ("SAME" geometry; zeros as zylo117, -inf as the official TF
// code and effdet) and nearest upsampling to an explicit size, as the BiFPN resamples between levels whose
// sizes halve with rounding up.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import { InvalidArgumentError, maxPoolSame, maxPoolSameZeroPad, upsampleNearest, upsampleNearestTo } from '@edet/tensor';

describe('maxPoolSame', () => {
  it("'neg-inf' equals tf.maxPool 'same' (padding never wins); 'zero' lets a padded edge win over negatives", () => {
    for (const [height, width] of [
      [4, 4],
      [5, 3],
      [3, 6],
      [1, 1],
    ]) {
      const x = tf.tidy(() => tf.sub(tf.randomUniform([2, height, width, 3], -5, -1, 'float32', height * 7 + width), 0));
      const official = maxPoolSame(x as tf.Tensor4D, 'neg-inf');
      const reference = tf.maxPool(x as tf.Tensor4D, 3, 2, 'same');
      expect(official.shape).toEqual([2, Math.ceil(height / 2), Math.ceil(width / 2), 3]);
      expect(Array.from(official.dataSync())).toEqual(Array.from(reference.dataSync()));
      // All inputs negative: zylo117's zero padding wins every window that reaches the padding.
      const zylo = maxPoolSame(x as tf.Tensor4D, 'zero');
      expect(Array.from(zylo.dataSync())).toEqual(Array.from(maxPoolSameZeroPad(x as tf.Tensor4D).dataSync()));
      if (height % 2 === 0 || width % 2 === 0) expect(Math.max(...zylo.dataSync())).toBe(0);
      expect(Math.max(...official.dataSync())).toBeLessThan(-1 + 1e-6);
      tf.dispose([x, official, reference, zylo]);
    }
  });

  it('an all -inf window stays -inf with neg-inf padding (as TF), and is 0 with zeros', () => {
    const x = tf.tensor4d([-Infinity, -Infinity, -Infinity, -Infinity], [1, 2, 2, 1]);
    expect(Array.from(maxPoolSame(x, 'neg-inf').dataSync())).toEqual([-Infinity]);
    expect(Array.from(maxPoolSame(x, 'zero').dataSync())).toEqual([0]);
    x.dispose();
  });
});

describe('upsampleNearestTo', () => {
  it("equals torch's nearest interpolate to a size that halves with rounding up (cell i reads floor(i / 2))", () => {
    for (const target of [5, 6, 7, 3, 1]) {
      const source = Math.ceil(target / 2);
      const x = tf.reshape(tf.range(0, source * source), [1, source, source, 1]) as tf.Tensor4D;
      const y = upsampleNearestTo(x, [target, target]);
      const values = y.dataSync();
      for (let i = 0; i < target; i++) {
        for (let j = 0; j < target; j++) {
          const torch = Math.floor((i * source) / target) * source + Math.floor((j * source) / target);
          expect(values[i * target + j]).toBe(torch);
        }
      }
      tf.dispose([x, y]);
    }
  });

  it('at exact multiples it is upsampleNearest', () => {
    const x = tf.randomNormal([2, 3, 4, 2], 0, 1, 'float32', 5) as tf.Tensor4D;
    const a = upsampleNearestTo(x, [6, 8]);
    const b = upsampleNearest(x);
    expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
    tf.dispose([x, a, b]);
  });

  it('rejects a target it cannot reach by cropping x2, naming the argument', () => {
    const x = tf.zeros([1, 3, 3, 1]) as tf.Tensor4D;
    const start = tf.memory().numTensors;
    for (const size of [[7, 6], [6, 0], [2.5, 6]] as [number, number][]) {
      expect(() => upsampleNearestTo(x, size)).toThrow(InvalidArgumentError);
      expect(() => upsampleNearestTo(x, size)).toThrow(/size/);
    }
    expect(tf.memory().numTensors).toBe(start);
    x.dispose();
  });
});
