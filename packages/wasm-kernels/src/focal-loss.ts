import * as tf from '@tensorflow/tfjs-core';

import { FOCAL_LOSS_GRAD_KERNEL, FOCAL_LOSS_KERNEL, type FocalLossKernelAttrs, focalLossKernelTakesWeights } from '@edet/losses';

import { WasmKernelError } from './errors.js';
import { type KernelArgs, floatView, pointer, simd, wasmKernelConfig } from './wasm-backend.js';
import { FOCAL_LOSS_GAMMAS, FOCAL_LOSS_WEIGHTING } from './wasm/focal-loss-programs.js';

/**
 * Sigmoid focal loss and its gradient for the wasm backend, each one SIMD pass over the data.
 *
 * Built from tfjs ops, the loss over D0's `[N, 49104, 90]` class logits is a chain of ~20 full-size
 * elementwise ops whose transcendental ones (`Softplus`, `Exp`) are scalar in the wasm backend: ~500 ms
 * per image for the forward and backward passes. Here each element costs one `exp`, one `log1p` (both
 * vectorised polynomials, `simd-math`), two divisions and a few arithmetic operations, 4 elements at a time
 * in float32, with the weights (e.g. the mask of ignored anchors) folded in: within ~1e-6 relative of the
 * float64 definition (exp and log1p are accurate to ~2e-7; the rest is a handful of float32 roundings).
 * Gammas other than 0, 1, 1.5 and 2 (2 is the default, 1.5 the official training value) take a float64
 * JavaScript loop, ~4x slower: `(1 - p_t)^gamma` as `exp(gamma log(1 - p_t))` in float32 would be off by
 * the rounding of `gamma log(1 - p_t)`, up to ~4e-6 relative where that is near -80.
 *
 * With the margin `z = x (2t - 1)` (large when the prediction is right) and `e = exp(-|z|)`:
 * - `-log p_t = softplus(-z) = max(-z, 0) + log1p(e)`,
 * - `p_t = sigmoid(z)` and `1 - p_t = sigmoid(-z)` are `1 / (1 + e)` and `e / (1 + e)`, one or the other by
 *   the sign of z, so neither is computed as `1 - something` (no cancellation),
 * - `loss = alpha_t (1 - p_t)^gamma (-log p_t)`,
 * - `d loss / dz = alpha_t (1 - p_t)^gamma (gamma p_t log p_t - (1 - p_t))`, and `d z / dx = 2t - 1`.
 * No log of 0 and no `pow` at a zero base with a negative exponent, so every logit (±1e4 included) gives a
 * finite loss and gradient. The formulas are exact for 0/1 targets only (soft labels are not supported).
 */

/** Checks the inputs and returns how many consecutive elements share one weight (all of them without weights). */
function weightRun(name: string, inputs: Record<string, tf.TensorInfo>, dy?: tf.TensorInfo): number {
  const { logits, targets, weights } = inputs;
  const fail = (what: string): never => {
    throw new WasmKernelError(`${name}: ${what}`);
  };
  const same = (info: tf.TensorInfo) => tf.util.arraysEqual(info.shape, logits.shape);
  for (const info of [logits, targets, weights, dy]) {
    if (info !== undefined && info.dtype !== 'float32') fail(`every input must be float32, got ${info.dtype}`);
  }
  if (!same(targets)) fail(`targets ${JSON.stringify(targets.shape)} must have the logits' shape ${JSON.stringify(logits.shape)}`);
  if (dy !== undefined && !same(dy)) fail(`dy ${JSON.stringify(dy.shape)} must have the logits' shape ${JSON.stringify(logits.shape)}`);
  const size = tf.util.sizeFromShape(logits.shape);
  if (weights === undefined) return Math.max(size, 1);
  if (!focalLossKernelTakesWeights(weights.shape, logits.shape)) {
    fail(`weights ${JSON.stringify(weights.shape)} must have the logits' shape ${JSON.stringify(logits.shape)}, or it with a last axis of 1`);
  }
  return size / Math.max(tf.util.sizeFromShape(weights.shape), 1);
}

// ---- float64 JavaScript loops, for the gammas the SIMD programs do not take ----

// exp(-a) = 2^(-k/16) exp(r) with k = round(16 a / ln 2) and |r| <= ln 2 / 32: a table lookup and a degree-4
// Taylor polynomial (error < r^5 / 120 < 4e-11 relative), about half the cost of Math.exp. Margins are
// clamped at 120: beyond it e (< 8e-53) only enters the results as a term below float32's smallest value or
// beside one >= 120, so every float32 result is the same.
const EXP_STEPS = 16;
const MAX_MARGIN = 120;
const EXP_TABLE = Float64Array.from({ length: Math.ceil((MAX_MARGIN * EXP_STEPS) / Math.LN2) + 1 }, (_, k) => 2 ** (-k / EXP_STEPS));

/** `exp(-a)` for `a >= 0` (NaN stays NaN). */
function expNegative(a: number): number {
  const clamped = a > MAX_MARGIN ? MAX_MARGIN : a;
  const k = (clamped * (EXP_STEPS / Math.LN2) + 0.5) | 0;
  const r = k * (Math.LN2 / EXP_STEPS) - clamped;
  return EXP_TABLE[k] * (1 + r * (1 + r * (1 / 2 + r * (1 / 6 + r * (1 / 24)))));
}

/**
 * `log1p(e)` for `e` in [0, 1], given `s = e / (2 + e)` (in [0, 1/3]): `log1p(e) = 2 atanh(s)`, and
 * `atanh(s) / s` is a polynomial in `s^2` fitted by least squares on Chebyshev nodes of [0, 1/9] (max relative
 * error 1e-10, far below float32's 6e-8; checked against Math.log1p in the tests). Half the cost of Math.log1p.
 */
function log1pFromHalfRatio(s: number): number {
  const s2 = s * s;
  return (
    2 * s * (0.9999999999020052 + s2 * (0.3333333962664737 + s2 * (0.19999347406044968 + s2 * (0.14310311700671272 + s2 * (0.10697133718801825 + s2 * 0.1220470168292354)))))
  );
}

/** The per-element terms both loops need, in float64. */
interface MarginTerms {
  /** `1 - p_t`. */
  q: number;
  /** `p_t`. */
  pt: number;
  /** `-log p_t = softplus(-z)`. */
  minusLogPt: number;
}

/**
 * Writes the terms at margin `z` into `into`: with e = exp(-|z|), one division gives r = 1 / (1 + e) and
 * s = e / (2 + e), so p_t, 1 - p_t and -log p_t cost no further division or log.
 */
function marginTerms(z: number, into: MarginTerms): void {
  const e = expNegative(Math.abs(z));
  const d = 1 / ((1 + e) * (2 + e));
  const r = (2 + e) * d;
  into.q = z < 0 ? r : e * r;
  into.pt = z < 0 ? e * r : r;
  into.minusLogPt = (z < 0 ? -z : 0) + log1pFromHalfRatio(e * (1 + e) * d);
}

/**
 * Walks every element for the float64 loops: `visit(i, weight, alphaT, sign, terms)` with the element's
 * weight (`run` elements share one), `alpha_t`, `2t - 1` and its margin terms (reused between calls).
 */
function forEachElement(
  { inputs, backend, attrs }: KernelArgs<FocalLossKernelAttrs>,
  run: number,
  visit: (i: number, weight: number, alphaT: number, sign: number, terms: MarginTerms) => void,
): void {
  const x = floatView(backend, inputs.logits);
  const t = floatView(backend, inputs.targets);
  const w = inputs.weights === undefined ? null : floatView(backend, inputs.weights);
  // alpha_t = t (2 alpha - 1) + (1 - alpha), the same expression as the op path (alpha for t = 1, 1 - alpha for 0).
  const alphaSlope = 2 * attrs.alpha - 1;
  const alphaBase = 1 - attrs.alpha;
  const terms: MarginTerms = { q: 0, pt: 0, minusLogPt: 0 };
  for (let start = 0, row = 0; start < x.length; start += run, row++) {
    const weight = w === null ? 1 : w[row];
    for (let i = start; i < start + run; i++) {
      const target = t[i];
      const sign = 2 * target - 1;
      marginTerms(x[i] * sign, terms);
      visit(i, weight, target * alphaSlope + alphaBase, sign, terms);
    }
  }
}

/** The forward loop into `out`; `run` elements share one weight. */
function focalLossScalar(args: KernelArgs<FocalLossKernelAttrs>, run: number, out: tf.TensorInfo): void {
  const loss = floatView(args.backend, out);
  const { gamma } = args.attrs;
  forEachElement(args, run, (i, weight, alphaT, _sign, { q, minusLogPt }) => {
    loss[i] = weight * alphaT * Math.pow(q, gamma) * minusLogPt;
  });
}

/** The gradient loop into `out`; `run` elements share one weight. */
function focalLossGradScalar(args: KernelArgs<FocalLossKernelAttrs>, run: number, out: tf.TensorInfo): void {
  const dy = floatView(args.backend, args.inputs.dy);
  const dx = floatView(args.backend, out);
  const { gamma } = args.attrs;
  forEachElement(args, run, (i, weight, alphaT, sign, { q, pt, minusLogPt }) => {
    const dz = Math.pow(q, gamma) * (-gamma * pt * minusLogPt - q);
    dx[i] = dy[i] * weight * alphaT * dz * sign;
  });
}

// ---- the kernels ----

/**
 * The SIMD programs' arguments after the pointers, or null for a gamma they do not take. `run` elements
 * share one weight: the rows are runs with per-row weights, and the whole array otherwise.
 */
function programArgs(inputs: Record<string, tf.TensorInfo>, run: number, attrs: FocalLossKernelAttrs): number[] | null {
  const gammaCase = (FOCAL_LOSS_GAMMAS as readonly number[]).indexOf(attrs.gamma);
  if (gammaCase < 0) return null;
  const size = tf.util.sizeFromShape(inputs.logits.shape);
  const weighting =
    inputs.weights === undefined ? FOCAL_LOSS_WEIGHTING.none
    : run === 1 ? FOCAL_LOSS_WEIGHTING.element
    : FOCAL_LOSS_WEIGHTING.row;
  const [rows, channels] = weighting === FOCAL_LOSS_WEIGHTING.row ? [size / run, run] : [1, size];
  // alpha_t = t (2 alpha - 1) + (1 - alpha), the same expression as the op path (alpha for t = 1, 1 - alpha for 0).
  return [rows, channels, weighting, gammaCase, 2 * attrs.alpha - 1, 1 - attrs.alpha];
}

/**
 * A focal-loss kernel: checks the inputs, then runs the SIMD program `program` (its arguments: the pointers of
 * `leading` inputs, logits, targets, weights and output, then `programArgs`) or, for other gammas, `scalarLoop`.
 * Output: the logits' shape, float32, owned by the backend (tfjs disposes it with the kernel's result).
 */
function focalLossKernel(
  kernelName: string,
  leading: (inputs: Record<string, tf.TensorInfo>) => tf.TensorInfo[],
  program: 'focalLoss' | 'focalLossGrad',
  scalarLoop: (args: KernelArgs<FocalLossKernelAttrs>, run: number, out: tf.TensorInfo) => void,
): (args: KernelArgs<FocalLossKernelAttrs>) => tf.TensorInfo {
  return (args) => {
    const { inputs, backend, attrs } = args;
    const before = leading(inputs);
    const run = weightRun(kernelName, inputs, before[0]);
    const out = backend.makeOutput([...inputs.logits.shape], 'float32');
    if (tf.util.sizeFromShape(out.shape) === 0) return out;
    const rest = programArgs(inputs, run, attrs);
    if (rest === null) {
      scalarLoop(args, run, out);
      return out;
    }
    const weights = inputs.weights === undefined ? 0 : pointer(backend, inputs.weights);
    const at = (info: tf.TensorInfo) => pointer(backend, info);
    simd(backend)[program](...before.map(at), at(inputs.logits), at(inputs.targets), weights, at(out), ...rest);
    return out;
  };
}

/** Output: the per-element weighted loss, the logits' shape. */
const focalLoss = focalLossKernel(FOCAL_LOSS_KERNEL, () => [], 'focalLoss', focalLossScalar);

/** Output: `dy * d loss / d logits`, the logits' shape (the targets and weights get no gradient). */
const focalLossGrad = focalLossKernel(FOCAL_LOSS_GRAD_KERNEL, (inputs) => [inputs.dy], 'focalLossGrad', focalLossGradScalar);

export const focalLossConfig = wasmKernelConfig(FOCAL_LOSS_KERNEL, focalLoss);

export const focalLossGradConfig = wasmKernelConfig(FOCAL_LOSS_GRAD_KERNEL, focalLossGrad);
