import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import { InvalidArgumentError } from '@edet/tensor';
import { ciouLoss, diouLoss, giouLoss, iouLoss, type IouLossOptions } from '@edet/losses';

import { expectClose, expectFinite, expectNoLeak, values } from './support/expect.js';
import { iouFamily, iouTerms, numericGradient, seededRandom, type Box } from './support/float64.js';

type Kind = 'iou' | 'giou' | 'diou' | 'ciou';
type Loss = (pred: tf.Tensor, target: tf.Tensor, options?: IouLossOptions) => tf.Tensor;
const LOSSES: Record<Kind, Loss> = { iou: iouLoss, giou: giouLoss, diou: diouLoss, ciou: ciouLoss };
const KINDS = Object.keys(LOSSES) as Kind[];

/** Per-pair losses of `[K, 4]` boxes as numbers. */
function perPair(kind: Kind, pred: Box[], target: Box[]): number[] {
  const p = tf.tensor2d(pred);
  const t = tf.tensor2d(target);
  const out = values(LOSSES[kind](p, t, { reduction: 'none' }));
  tf.dispose([p, t]);
  return out;
}

describe('IoU-family values', () => {
  it('match hand-worked values for two overlapping squares', () => {
    // [0,0,2,2] vs [1,1,3,3]: intersection 1, union 7, enclosing 3x3 (area 9, diagonal^2 18), centres 1,1 apart.
    const pred: Box[] = [[0, 0, 2, 2]];
    const target: Box[] = [[1, 1, 3, 3]];
    expectClose(perPair('iou', pred, target), [1 - 1 / 7], 1e-6);
    expectClose(perPair('giou', pred, target), [1 - (1 / 7 - 2 / 9)], 1e-6);
    expectClose(perPair('diou', pred, target), [1 - (1 / 7 - 2 / 18)], 1e-6);
    expectClose(perPair('ciou', pred, target), [1 - (1 / 7 - 2 / 18)], 1e-6); // same aspect: v = 0
  });

  it('match hand-worked values for boxes of different aspect (CIoU v > 0)', () => {
    // [0,0,4,2] (4 wide, 2 high) vs [1,0,3,4] (2 wide, 4 high): intersection 2x2 = 4, union 12, IoU 1/3,
    // enclosing 4x4 (area 16, diagonal^2 32), centres (2,1) and (2,2): rho^2 = 1.
    const pred: Box[] = [[0, 0, 4, 2]];
    const target: Box[] = [[1, 0, 3, 4]];
    const iou = 1 / 3;
    const diou = iou - 1 / 32;
    const v = (4 / Math.PI ** 2) * (Math.atan(2 / 4) - Math.atan(4 / 2)) ** 2;
    const alpha = v / (1 - iou + v);
    expectClose(perPair('iou', pred, target), [1 - iou], 1e-6);
    expectClose(perPair('giou', pred, target), [1 - (iou - 4 / 16)], 1e-6);
    expectClose(perPair('diou', pred, target), [1 - diou], 1e-6);
    expectClose(perPair('ciou', pred, target), [1 - (diou - alpha * v)], 1e-6);
  });

  it('give 1 - IoU = 1 for disjoint boxes while GIoU and DIoU exceed 1', () => {
    const pred: Box[] = [[0, 0, 1, 1]];
    const target: Box[] = [[2, 0, 3, 1]];
    expectClose(perPair('iou', pred, target), [1], 1e-6);
    expectClose(perPair('giou', pred, target), [1 + 1 / 3], 1e-6); // enclosing 3x1, union 2
    expectClose(perPair('diou', pred, target), [1 + 4 / 10], 1e-6); // rho^2 4, diagonal^2 9 + 1
  });

  it('reduce over [N, A] pairs with weights broadcast to [N, A]', () => {
    const pred = tf.tensor3d([[[0, 0, 2, 2], [0, 0, 1, 1]]]);
    const target = tf.tensor3d([[[1, 1, 3, 3], [2, 0, 3, 1]]]);
    const weights = tf.tensor2d([[1, 0]]);
    for (const kind of KINDS) {
      const none = LOSSES[kind](pred, target, { reduction: 'none' });
      expect(none.shape).toEqual([1, 2]);
      const each = values(none);
      expectClose(values(LOSSES[kind](pred, target)), [each[0] + each[1]], 1e-6);
      expectClose(values(LOSSES[kind](pred, target, { reduction: 'mean' })), [(each[0] + each[1]) / 2], 1e-6);
      expectClose(values(LOSSES[kind](pred, target, { weights })), [each[0]], 1e-6);
    }
    tf.dispose([pred, target, weights]);
  });

  it('match the float64 definitions on 32 random pairs (rtol 1e-5, atol 1e-6)', () => {
    const { pred, target } = randomPairs(32, 21);
    for (const kind of KINDS) {
      const expected = pred.map((p, i) => iouFamily(kind, p, target[i]));
      expectClose(perPair(kind, pred, target), expected, 1e-5, 1e-6);
    }
  });
});

/**
 * Box pairs, float32-representable: 3 in 4 overlapping, 1 in 4 disjoint, each coordinate at least 1e-2 from
 * every kink (min/max ties, zero overlap) so a 1e-6 finite-difference step stays on one smooth piece.
 */
function randomPairs(count: number, seed: number): { pred: Box[]; target: Box[] } {
  const random = seededRandom(seed);
  const pred: Box[] = [];
  const target: Box[] = [];
  const far = (a: number, b: number) => Math.abs(a - b) > 1e-2;
  while (pred.length < count) {
    const x1 = random() * 10;
    const y1 = random() * 10;
    const t: Box = [x1, y1, x1 + 1 + random() * 5, y1 + 1 + random() * 5].map(Math.fround) as Box;
    const shift = pred.length % 4 === 3 ? 12 : 0;
    const jitter = () => (random() - 0.5) * 1.5;
    const p = [t[0] + jitter() + shift, t[1] + jitter(), t[2] + jitter() + shift, t[3] + jitter()].map(Math.fround) as Box;
    if (p[2] - p[0] < 0.2 || p[3] - p[1] < 0.2) continue;
    if (![0, 1, 2, 3].every((i) => far(p[i], t[i]))) continue;
    if (!far(Math.min(p[2], t[2]), Math.max(p[0], t[0])) || !far(Math.min(p[3], t[3]), Math.max(p[1], t[1]))) continue;
    pred.push(p);
    target.push(t);
  }
  return { pred, target };
}

describe('IoU-family gradients', () => {
  const { pred, target } = randomPairs(32, 7);

  for (const kind of KINDS) {
    it(`${kind}: tape gradient w.r.t. pred equals float64 central differences on 32 pairs (rtol 1e-3, atol 1e-4)`, () => {
      const p = tf.tensor2d(pred);
      const t = tf.tensor2d(target);
      const gradient = values(tf.grad((x: tf.Tensor) => LOSSES[kind](x, t))(p));
      tf.dispose([p, t]);
      const expected = pred.flatMap((box, i) => {
        // CIoU's alpha is a constant in the gradient: freeze it at the evaluation point.
        const frozenAlpha = kind === 'ciou' ? iouTerms(box, target[i]).alpha : undefined;
        return numericGradient((x) => iouFamily(kind, x as Box, target[i], frozenAlpha), box);
      });
      expectClose(gradient, expected, 1e-3, 1e-4);
    });
  }

  it('ciou: alpha really is held constant (the full derivative differs where v > 0)', () => {
    const box: Box = [0, 0.5, 4, 2.5]; // no coordinate ties with gt, so central differences stay smooth
    const gt: Box = [1, 0, 3, 4];
    const p = tf.tensor2d([box]);
    const t = tf.tensor2d([gt]);
    const gradient = values(tf.grad((x: tf.Tensor) => ciouLoss(x, t))(p));
    tf.dispose([p, t]);
    const frozen = numericGradient((x) => iouFamily('ciou', x as Box, gt, iouTerms(box, gt).alpha), box);
    const full = numericGradient((x) => iouFamily('ciou', x as Box, gt), box);
    expectClose(gradient, frozen, 1e-3, 1e-4);
    expect(Math.max(...gradient.map((g, i) => Math.abs(g - full[i])))).toBeGreaterThan(1e-3);
  });

  it('are finite (no NaN) for identical, zero-area and zero-width boxes, w.r.t. both inputs', () => {
    const pred: Box[] = [
      [1, 2, 4, 6], // identical to its target
      [2, 2, 2, 2], // zero-area prediction inside a real box
      [2, 1, 2, 5], // zero-width prediction
      [3, 3, 3, 3], // zero-area prediction on an identical zero-area target
      [0, 0, 4, 4], // real prediction, zero-area target
    ];
    const target: Box[] = [[1, 2, 4, 6], [0, 0, 4, 4], [0, 0, 4, 4], [3, 3, 3, 3], [2, 2, 2, 2]];
    const p = tf.tensor2d(pred);
    const t = tf.tensor2d(target);
    for (const kind of KINDS) {
      const loss = values(LOSSES[kind](p, t, { reduction: 'none' }));
      expectFinite(loss);
      expect(loss[0]).toBeCloseTo(0, 6); // identical boxes
      expect(loss[3]).toBeCloseTo(1, 6); // an empty box overlaps nothing, itself included
      const [dPred, dTarget] = tf.grads((a: tf.Tensor, b: tf.Tensor) => LOSSES[kind](a, b))([p, t]);
      expectFinite(values(dPred));
      expectFinite(values(dTarget));
    }
    tf.dispose([p, t]);
  });
});

describe('IoU-family memory and errors', () => {
  it('leave no tensors behind, for the loss and for tf.grad', () => {
    const { pred, target } = randomPairs(8, 3);
    const p = tf.reshape(tf.tensor2d(pred), [2, 4, 4]);
    const t = tf.reshape(tf.tensor2d(target), [2, 4, 4]);
    const weights = tf.ones([2, 4]);
    expectNoLeak(() => {
      for (const kind of KINDS) {
        for (const reduction of ['none', 'sum', 'mean'] as const) LOSSES[kind](p, t, { reduction, weights }).dispose();
        tf.grad((x: tf.Tensor) => LOSSES[kind](x, t, { weights }))(p).dispose();
      }
    });
    tf.dispose([p, t, weights]);
  });

  it('reject boxes that are not [..., 4], mismatched shapes and weights of the box shape', () => {
    const boxes = tf.zeros([2, 4]);
    expectNoLeak(() => {
      const cases: Array<() => unknown> = [
        () => giouLoss(tf.zeros([2, 3]), tf.zeros([2, 3])),
        () => giouLoss(tf.zeros([4]), tf.zeros([4])),
        () => ciouLoss(boxes, tf.zeros([3, 4])),
        () => diouLoss(boxes, boxes, { weights: tf.ones([2, 4]) }),
        () => iouLoss(boxes, boxes, { epsilon: 0 }),
      ];
      for (const bad of cases) tf.tidy(() => void expect(bad).toThrow(InvalidArgumentError));
    });
    boxes.dispose();
  });
});
