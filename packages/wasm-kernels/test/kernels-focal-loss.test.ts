/**
 * The fused focal-loss kernels of `@edet/wasm-kernels` (`EdetSigmoidFocalLoss` / `EdetSigmoidFocalLossGrad`), which
 * `sigmoidFocalLoss` runs on the wasm backend: forward and gradient against the float64 definition (tight) and
 * against the op-composition path on the cpu backend (the fallback every other backend runs), at extreme and
 * ordinary logits, every gamma special case and a generic one, alpha at its ends, with and without weights.
 * Runs only when the suite's backend is wasm (the default); on cpu there is nothing fused to test.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';

import '@tensorflow/tfjs-backend-cpu';
import { AnchorState, FOCAL_LOSS_GRAD_KERNEL, FOCAL_LOSS_KERNEL, focalLossNormalized, sigmoidFocalLoss } from '@edet/losses';

import { expectFinite, expectNoLeak } from '../../losses/test/support/expect.js';
import { seededRandom, sigmoid } from '../../losses/test/support/float64.js';

const onWasm = tf.getBackend() === 'wasm';

/**
 * Float64 tolerance of the kernels: `|got - want| <= 1e-6 |want| + 1e-37`. For gammas 0, 1, 1.5 and 2 the
 * kernels compute in float32 SIMD: exp and log1p to ~2e-7, then a dozen roundings of 6e-8, some doubled by
 * the square of gamma 2 (6.3e-7 measured over 500k margins, with weights and upstream gradients); other
 * gammas in float64, rounded once to float32 (6e-8). The absolute part only covers float32's subnormal
 * range, where rounding alone is coarser than 1e-6 relative.
 */
const RTOL = 1e-6;
const ATOL = 1e-37;

/**
 * Against the op path on cpu: that path rounds every intermediate to float32, and `exp(-gamma softplus(z))`
 * turns the rounding of a softplus of ~30 into ~5e-6 relative, more far out in the tails; 1e-4 as in the
 * other kernel tests, and 1e-30 absolute for values that float32 intermediates flush or round coarsely.
 */
const CPU_RTOL = 1e-4;
const CPU_ATOL = 1e-30;

/** Float64 loss and d loss / d logit of one element, from the definition (independent of the kernels' form). */
function reference(logit: number, target: number, alpha: number, gamma: number): { loss: number; grad: number } {
  const z = target === 1 ? logit : -logit;
  const pt = sigmoid(z);
  const q = sigmoid(-z); // 1 - p_t without cancellation
  const minusLogPt = Math.max(-z, 0) + Math.log1p(Math.exp(-Math.abs(z)));
  const alphaT = target === 1 ? alpha : 1 - alpha;
  const modulation = Math.pow(q, gamma);
  const dz = alphaT * modulation * (-gamma * pt * minusLogPt - q);
  return { loss: alphaT * modulation * minusLogPt, grad: target === 1 ? dz : -dz };
}

/** Asserts `|actual - expected| <= atol + rtol |expected|`, naming the first element that fails. */
function expectWithin(label: string, actual: ArrayLike<number>, expected: ArrayLike<number>, rtol: number, atol: number): void {
  expect(actual.length, label).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const bound = atol + rtol * Math.abs(expected[i]);
    if (!(Math.abs(actual[i] - expected[i]) <= bound)) {
      expect.fail(`${label}, element ${i}: got ${actual[i]}, expected ${expected[i]} (within ${bound.toExponential(2)})`);
    }
  }
}

const CLASSES = 6;

/**
 * Logits `[rows, 6]` covering: ±1e4, ±200, ±121 and ±119 (either side of the kernels' clamp at 120), ±30,
 * ±13.8 (p_t = 1e-6 and 1 - 1e-6), ±1, ±1e-3, 0, a sweep of margins in [-16, 16], and seeded normals
 * (mean -4, sd 3: mostly confident negatives, as at the start of training). Targets alternate so that
 * every logit is seen as a positive and as a negative; `seed` varies the normals.
 */
function makeCase(seed: number) {
  const special = [1e4, 200, 121, 119, 30, Math.log((1 - 1e-6) / 1e-6), 1, 1e-3, 0];
  const margins = [...special, ...special.map((z) => -z)];
  for (let i = 0; i < 64; i++) margins.push(-16 + (32 * i) / 63);
  const random = seededRandom(seed);
  for (let i = 0; i < 240; i++) {
    const normal = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
    margins.push(-4 + 3 * normal);
  }
  const logits: number[] = [];
  const targets: number[] = [];
  for (const z of margins) {
    for (const target of [0, 1]) {
      logits.push(Math.fround(target === 1 ? z : -z));
      targets.push(target);
    }
  }
  while (logits.length % CLASSES !== 0) {
    logits.push(0);
    targets.push(0);
  }
  const rows = logits.length / CLASSES;
  // Per-row weights in [0, 2) with every fifth row masked, as ignored anchors are.
  const rowWeights = Array.from({ length: rows }, (_, i) => (i % 5 === 0 ? 0 : Math.fround(2 * random())));
  const elementWeights = Array.from({ length: rows * CLASSES }, () => Math.fround(random()));
  const upstream = Array.from({ length: rows * CLASSES }, () => Math.fround(2 * random() - 1));
  return { logits, targets, rows, rowWeights, elementWeights, upstream };
}

type Weighting = 'none' | 'per row' | 'per element';

/**
 * The per-element loss and `d sum(upstream * loss) / d logits` on the active backend, through the public
 * `sigmoidFocalLoss` (fused on wasm, op-composed on cpu).
 */
function lossAndGrad(c: ReturnType<typeof makeCase>, weighting: Weighting, alpha: number, gamma: number) {
  return tf.tidy(() => {
    const logits = tf.tensor2d(c.logits, [c.rows, CLASSES]);
    const targets = tf.tensor2d(c.targets, [c.rows, CLASSES]);
    const upstream = tf.tensor2d(c.upstream, [c.rows, CLASSES]);
    const weights =
      weighting === 'none' ? undefined
      : weighting === 'per row' ? tf.tensor2d(c.rowWeights, [c.rows, 1])
      : tf.tensor2d(c.elementWeights, [c.rows, CLASSES]);
    const options = { alpha, gamma, reduction: 'none' as const, weights };
    const loss = sigmoidFocalLoss(logits, targets, options).dataSync();
    const grad = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(sigmoidFocalLoss(x, targets, options), upstream)))(logits).dataSync();
    return { loss: Array.from(loss), grad: Array.from(grad) };
  });
}

/** The float64 counterpart of `lossAndGrad`. */
function referenceLossAndGrad(c: ReturnType<typeof makeCase>, weighting: Weighting, alpha: number, gamma: number) {
  const loss: number[] = [];
  const grad: number[] = [];
  c.logits.forEach((logit, i) => {
    const weight =
      weighting === 'none' ? 1 : weighting === 'per row' ? c.rowWeights[Math.floor(i / CLASSES)] : c.elementWeights[i];
    const r = reference(logit, c.targets[i], alpha, gamma);
    loss.push(weight * r.loss);
    grad.push(c.upstream[i] * weight * r.grad);
  });
  return { loss, grad };
}

/** Runs `body` on the cpu backend and switches back to wasm. */
async function onCpu<T>(body: () => T): Promise<T> {
  await tf.setBackend('cpu');
  try {
    return body();
  } finally {
    await tf.setBackend('wasm');
  }
}

describe.runIf(onWasm)('fused sigmoid focal loss on wasm', () => {
  beforeAll(async () => {
    // The cpu backend (the reference) is loaded by the import above; wasm stays active.
    await tf.setBackend('wasm');
  });

  it('is what sigmoidFocalLoss runs on wasm', async () => {
    const logits = tf.tensor2d([[1, -2], [0.5, 3]]);
    const targets = tf.tensor2d([[1, 0], [0, 1]]);
    const weights = tf.tensor2d([[1], [0]]);
    const profile = await tf.profile(() => {
      const grad = tf.grad((x: tf.Tensor) => sigmoidFocalLoss(x, targets, { weights }));
      return grad(logits);
    });
    expect(profile.kernelNames).toContain(FOCAL_LOSS_KERNEL);
    expect(profile.kernelNames).toContain(FOCAL_LOSS_GRAD_KERNEL);
    // The weights are folded into the kernels: no full-size Multiply either way.
    expect(profile.kernelNames).not.toContain('Multiply');
    tf.dispose([logits, targets, weights]);
  });

  const weightings: Weighting[] = ['none', 'per row', 'per element'];
  const settings: Array<[number, number]> = [
    [0.25, 2],
    [0.25, 1.5],
    [0.25, 0],
    [0.25, 1],
    [0.25, 2.5],
    [0, 2],
    [1, 1.5],
  ];
  let seed = 1;
  for (const [alpha, gamma] of settings) {
    for (const weighting of weightings) {
      const caseSeed = seed++;
      it(`forward and gradient match float64 (rtol ${RTOL}) and the cpu op path (rtol ${CPU_RTOL}): alpha ${alpha}, gamma ${gamma}, weights ${weighting}`, async () => {
        const c = makeCase(caseSeed);
        const got = lossAndGrad(c, weighting, alpha, gamma);
        expectFinite(got.loss);
        expectFinite(got.grad);
        const want = referenceLossAndGrad(c, weighting, alpha, gamma);
        expectWithin('loss vs float64', got.loss, want.loss, RTOL, ATOL);
        expectWithin('gradient vs float64', got.grad, want.grad, RTOL, ATOL);
        const cpu = await onCpu(() => lossAndGrad(c, weighting, alpha, gamma));
        expectWithin('loss vs cpu', got.loss, cpu.loss, CPU_RTOL, CPU_ATOL);
        expectWithin('gradient vs cpu', got.grad, cpu.grad, CPU_RTOL, CPU_ATOL);
      });
    }
  }

  it('stays accurate across the whole range of margins, around the clamp at 120 included (gamma 0 and 2)', () => {
    // 24001 margins in [-150, 150]: the whole range of the kernels' exp and log1p, on both sides of z = 0.
    const margins = Array.from({ length: 24001 }, (_, i) => Math.fround(-150 + i / 80));
    for (const gamma of [0, 2]) {
      for (const target of [0, 1]) {
        const logits = margins.map((z) => Math.fround(target === 1 ? z : -z));
        const got = tf.tidy(() => {
          const x = tf.tensor2d(logits, [logits.length, 1]);
          const t = tf.fill([logits.length, 1], target);
          const loss = sigmoidFocalLoss(x, t, { gamma, reduction: 'none' }).dataSync();
          const grad = tf.grad((input: tf.Tensor) => sigmoidFocalLoss(input, t, { gamma }))(x).dataSync();
          return { loss: Array.from(loss), grad: Array.from(grad) };
        });
        const want = { loss: [] as number[], grad: [] as number[] };
        for (const logit of logits) {
          const r = reference(logit, target, 0.25, gamma);
          want.loss.push(r.loss);
          want.grad.push(r.grad);
        }
        expectWithin(`loss, gamma ${gamma}, target ${target}`, got.loss, want.loss, RTOL, ATOL);
        expectWithin(`gradient, gamma ${gamma}, target ${target}`, got.grad, want.grad, RTOL, ATOL);
      }
    }
  });

  it('propagates NaN logits to the loss and the gradient', () => {
    const logits = tf.tensor1d([Number.NaN, 1]);
    const targets = tf.tensor1d([1, 0]);
    const loss = Array.from(sigmoidFocalLoss(logits, targets, { reduction: 'none' }).dataSync());
    const grad = Array.from(tf.grad((x: tf.Tensor) => sigmoidFocalLoss(x, targets))(logits).dataSync());
    expect(Number.isNaN(loss[0]) && Number.isNaN(grad[0])).toBe(true);
    expectFinite([loss[1], grad[1]]);
    tf.dispose([logits, targets]);
  });

  it('matches cpu through focalLossNormalized, loss and gradient, for every normalization', async () => {
    const [batch, anchors] = [2, 40];
    const random = seededRandom(77);
    const logits = Array.from({ length: batch * anchors * CLASSES }, () => Math.fround(-4 + 6 * (random() - 0.3)));
    const state = Array.from({ length: batch * anchors }, () => {
      const u = random();
      return u < 0.1 ? AnchorState.positive : u < 0.25 ? AnchorState.ignored : AnchorState.negative;
    });
    const targets = state.flatMap((s) => {
      const row = new Array<number>(CLASSES).fill(0);
      if (s === AnchorState.positive) row[Math.floor(random() * CLASSES)] = 1;
      return row;
    });
    const run = () =>
      (['batch', 'batch-plus-one', 'image'] as const).map((normalization) =>
        tf.tidy(() => {
          const x = tf.tensor3d(logits, [batch, anchors, CLASSES]);
          const t = tf.tensor3d(targets, [batch, anchors, CLASSES]);
          const s = tf.tensor2d(state, [batch, anchors]);
          const options = { gamma: 1.5, normalization };
          const loss = focalLossNormalized(x, t, s, options).dataSync()[0];
          const grad = Array.from(tf.grad((input: tf.Tensor) => focalLossNormalized(input, t, s, options))(x).dataSync());
          return { loss, grad };
        }),
      );
    const got = run();
    const cpu = await onCpu(run);
    got.forEach((g, i) => {
      expectWithin('normalized loss', [g.loss], [cpu[i].loss], 1e-5, 0);
      expectWithin('normalized gradient', g.grad, cpu[i].grad, CPU_RTOL, CPU_ATOL);
    });
  });

  it('falls back to the op path for weights the kernels do not take, with the same result', async () => {
    const c = makeCase(99);
    const run = () =>
      tf.tidy(() => {
        const logits = tf.tensor3d(c.logits, [1, c.rows, CLASSES]);
        const targets = tf.tensor3d(c.targets, [1, c.rows, CLASSES]);
        const weights = tf.tensor2d(c.rowWeights, [c.rows, 1]); // [A, 1] against [1, A, C]: a broadcast of rank 2
        const loss = Array.from(sigmoidFocalLoss(logits, targets, { reduction: 'none', weights }).dataSync());
        const grad = Array.from(tf.grad((x: tf.Tensor) => sigmoidFocalLoss(x, targets, { weights }))(logits).dataSync());
        return { loss, grad };
      });
    const got = run();
    const cpu = await onCpu(run);
    // Both are the op path in float32, on two backends' own exp and softplus.
    expectWithin('loss', got.loss, cpu.loss, CPU_RTOL, CPU_ATOL);
    expectWithin('gradient', got.grad, cpu.grad, CPU_RTOL, CPU_ATOL);
  });

  it('leaves no tensors behind: loss, gradient, every reduction, with and without weights, int32 targets', () => {
    const logits = tf.randomNormal([2, 30, 5], 0, 3, 'float32', 1);
    const targets = tf.cast(tf.greater(tf.randomUniform([2, 30, 5], 0, 1, 'float32', 2), 0.8), 'float32');
    const intTargets = tf.cast(targets, 'int32');
    const rowWeights = tf.ones([2, 30, 1]);
    const boolWeights = tf.ones([2, 30, 5], 'bool');
    const state = tf.zeros([2, 30]);
    expectNoLeak(() => {
      for (const weights of [undefined, rowWeights, boolWeights]) {
        for (const t of [targets, intTargets]) {
          for (const reduction of ['none', 'sum', 'mean'] as const) {
            sigmoidFocalLoss(logits, t, { reduction, weights, gamma: 1.5 }).dispose();
          }
          tf.grad((x: tf.Tensor) => sigmoidFocalLoss(x, t, { weights }))(logits).dispose();
        }
      }
      focalLossNormalized(logits, targets, state).dispose();
      tf.grad((x: tf.Tensor) => focalLossNormalized(x, targets, state))(logits).dispose();
    });
    tf.dispose([logits, targets, intTargets, rowWeights, boolWeights, state]);
  });

  it('kernels reject inputs they do not take, leaking nothing', () => {
    const logits = tf.zeros([2, 3]);
    const targets = tf.zeros([2, 3]);
    const attrs = { alpha: 0.25, gamma: 2 };
    expectNoLeak(() => {
      const bad: tf.NamedTensorMap[] = [
        { logits, targets: tf.zeros([3, 2]) },
        { logits, targets: tf.zeros([2, 3], 'int32') },
        { logits, targets, weights: tf.zeros([2, 1, 1]) },
        { logits, targets, weights: tf.zeros([1, 3]) },
        { logits, targets, weights: tf.zeros([3]) },
      ];
      for (const inputs of bad) {
        expect(() => tf.engine().runKernel(FOCAL_LOSS_KERNEL, inputs, attrs)).toThrow(/EdetSigmoidFocalLoss/);
        tf.dispose(Object.values(inputs).filter((t) => t !== logits && t !== targets));
      }
      const dy = tf.zeros([3, 2]);
      expect(() => tf.engine().runKernel(FOCAL_LOSS_GRAD_KERNEL, { dy, logits, targets }, attrs)).toThrow(/EdetSigmoidFocalLossGrad/);
      dy.dispose();
    });
    tf.dispose([logits, targets]);
  });
});
