import { type Expr, type Local, F32, FunctionBuilder, I32, V128, add, and, eq, f32, loadF32, shl, shrS } from './assembler.js';
import { type MathLanes, LaneMath, SCALAR_MATH, VECTOR_MATH } from './simd-math.js';

/**
 * SIMD programs for the sigmoid focal loss and its gradient (the `EdetSigmoidFocalLoss` kernels) over
 * float32 `[rows, channels]` arrays, in memory order: each row 4 elements at a time, then its 0-3 left over
 * one by one with the same math (`simd-math`), so every element gets the same bits whatever its position.
 *
 * Per element, with the margin `z = x (2t - 1)` and `e = exp(-|z|)` (the only transcendental call; see
 * `focal-loss.ts` for the derivation): `r = 1 / (1 + e)`, `1 - p_t = z < 0 ? r : e r`, `p_t` the other one,
 * `-log p_t = max(-z, 0) + log1p(e)`, and `(1 - p_t)^gamma` as products and a square root for the gammas of
 * `FOCAL_LOSS_GAMMAS`, each a loop of its own (other gammas are the caller's).
 */

/** The gammas the programs take, by index (their `gammaCase` argument). */
export const FOCAL_LOSS_GAMMAS = [0, 1, 1.5, 2] as const;

/** The programs' `weighting` argument: no weights, one per row (`[rows]`), or one per element (`[rows, channels]`). */
export const FOCAL_LOSS_WEIGHTING = { none: 0, row: 1, element: 2 } as const;

/** A local of each lane width. */
type Pair = Record<1 | 4, Local>;

function pair(f: FunctionBuilder): Pair {
  return { 4: f.local(V128), 1: f.local(F32) };
}

/**
 * `focalLoss(logits, targets, weights, loss, rows, channels, weighting, gammaCase, alphaSlope, alphaBase)`:
 * `loss = weight * (t alphaSlope + alphaBase) * (1 - p_t)^gamma * -log p_t` (`alphaSlope = 2 alpha - 1`,
 * `alphaBase = 1 - alpha`: alpha for t = 1, 1 - alpha for t = 0).
 *
 * `focalLossGrad(dy, logits, targets, weights, dx, ...the same)`: `dx = dy * d loss / d logits`, i.e.
 * `dy * weight * alpha_t * (1 - p_t)^gamma * (-gamma p_t (-log p_t) - (1 - p_t)) * (2t - 1)`.
 *
 * `weights` is read only as `weighting` says (pass any pointer with `none`).
 */
export function focalLossProgram(gradient: boolean): FunctionBuilder {
  const pointers = gradient ? 5 : 4;
  const f = new FunctionBuilder(gradient ? 'focalLossGrad' : 'focalLoss', [
    ...Array.from({ length: pointers + 4 }, () => I32),
    F32,
    F32,
  ]);
  const args = [...f.args];
  const dy = gradient ? args.shift() : undefined;
  const [logits, targets, weights, out, rows, channels, weighting, gammaCase, alphaSlope, alphaBase] = args;

  const maths = { 4: new LaneMath(f, VECTOR_MATH), 1: new LaneMath(f, SCALAR_MATH) };
  // Every constant the loops use, set up here: a constant first used inside one branch's loop would be
  // set there only, and read unset in the others.
  for (const math of Object.values(maths)) for (const value of [0, ...FOCAL_LOSS_GAMMAS]) math.constant(value);

  const xPtr = f.local();
  const tPtr = f.local();
  const wPtr = f.local();
  const outPtr = f.local();
  const dyPtr = f.local();
  const row = f.local();
  const i = f.local();
  const quads = f.local();
  const tail = f.local();
  const rowWeight = f.local(F32);
  const [slope, base] = [pair(f), pair(f)];
  const [target, sign, z, negZ, e, r, er, q, minusLogPt] = Array.from({ length: 9 }, () => pair(f));
  const negative = { 4: f.local(V128), 1: f.local(I32) };

  f.set(quads, shrS(channels, 2));
  f.set(tail, and(channels, 3));
  f.set(xPtr, logits);
  f.set(tPtr, targets);
  f.set(wPtr, weights);
  f.set(outPtr, out);
  if (dy !== undefined) f.set(dyPtr, dy);

  /** One element (1 wide) or four (4 wide) at the pointers; stores the result and advances the pointers. */
  const element = (m: MathLanes, gamma: number, elementWeights: boolean) => {
    const math = maths[m.width];
    const k = (value: number) => math.constant(value);
    const w = m.width;
    f.set(target[w], m.load(tPtr));
    f.set(sign[w], m.sub(m.add(target[w], target[w]), k(1)));
    f.set(z[w], m.mul(m.load(xPtr), sign[w]));
    f.set(negZ[w], m.neg(z[w]));
    f.set(e[w], math.exp(m.min(z[w], negZ[w]))); // exp(-|z|)
    f.set(r[w], m.div(k(1), m.add(k(1), e[w])));
    f.set(negative[w], m.less(z[w], k(0)));
    f.set(er[w], m.mul(e[w], r[w]));
    f.set(q[w], m.select(r[w], er[w], negative[w])); // 1 - p_t
    const modulation: Expr | Local | null =
      gamma === 2 ? m.mul(q[w], q[w])
      : gamma === 1.5 ? m.mul(q[w], m.sqrt(q[w]))
      : gamma === 1 ? q[w]
      : null;
    let scale = m.add(m.mul(target[w], slope[w]), base[w]); // weight * alpha_t
    if (elementWeights) scale = m.mul(scale, m.load(wPtr));
    const setMinusLogPt = () => f.set(minusLogPt[w], m.add(math.log1pUnit(e[w]), m.max(negZ[w], k(0)))); // softplus(-z)
    if (!gradient) {
      setMinusLogPt();
      const weighted = modulation === null ? scale : m.mul(scale, modulation);
      m.store(f, outPtr, m.mul(weighted, minusLogPt[w]));
    } else {
      // d loss / dz; gamma 0 gives the slope of softplus(-z) alone (and no 0 * Infinity at infinite logits).
      let dz: Expr = m.neg(q[w]);
      if (modulation !== null) {
        setMinusLogPt();
        const pt = m.select(er[w], r[w], negative[w]);
        const focus = m.mul(gamma === 1 ? pt : m.mul(k(gamma), pt), minusLogPt[w]);
        dz = m.neg(m.mul(modulation, m.add(focus, q[w])));
      }
      m.store(f, outPtr, m.mul(m.mul(m.mul(m.load(dyPtr), scale), dz), sign[w]));
    }
    const bytes = 4 * w;
    for (const ptr of [xPtr, tPtr, outPtr]) f.set(ptr, add(ptr, bytes));
    if (elementWeights) f.set(wPtr, add(wPtr, bytes));
    if (gradient) f.set(dyPtr, add(dyPtr, bytes));
  };

  const rowLoop = (gamma: number, elementWeights: boolean) =>
    f.for(row, 0, rows, 1, () => {
      f.if(
        eq(weighting, FOCAL_LOSS_WEIGHTING.row),
        () => f.set(rowWeight, loadF32(add(weights, shl(row, 2)))),
        () => f.set(rowWeight, f32(1)),
      );
      f.set(slope[1], SCALAR_MATH.mul(rowWeight, alphaSlope));
      f.set(base[1], SCALAR_MATH.mul(rowWeight, alphaBase));
      f.set(slope[4], VECTOR_MATH.broadcast(slope[1]));
      f.set(base[4], VECTOR_MATH.broadcast(base[1]));
      f.for(i, 0, quads, 1, () => element(VECTOR_MATH, gamma, elementWeights));
      f.for(i, 0, tail, 1, () => element(SCALAR_MATH, gamma, elementWeights));
    });

  // One loop nest per (gamma, per-element weights or not), chosen once.
  const byGamma = (index: number, elementWeights: boolean): void => {
    if (index === FOCAL_LOSS_GAMMAS.length - 1) {
      rowLoop(FOCAL_LOSS_GAMMAS[index], elementWeights);
      return;
    }
    f.if(
      eq(gammaCase, index),
      () => rowLoop(FOCAL_LOSS_GAMMAS[index], elementWeights),
      () => byGamma(index + 1, elementWeights),
    );
  };
  f.if(
    eq(weighting, FOCAL_LOSS_WEIGHTING.element),
    () => byGamma(0, true),
    () => byGamma(0, false),
  );
  return f;
}
