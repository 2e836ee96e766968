import { GPU_RELATIVE_TOLERANCE } from '../../../../tooling/test/tolerance.js';

/** A model's parameters and buffers after (or before) a step, read back to the CPU, by checkpoint key. */
export type StepState = Map<string, Float32Array>;

/**
 * How far apart one training step may land on a GPU backend and on wasm, per backend.
 *
 * - `loss`: relative, on the total, classification and box losses. The GPU shaders compute exp, log and pow
 *   with their own float32 approximations (tooling/test/tolerance.ts: 1e-3 for any value).
 * - `update`: for each variable, the largest |GPU update - wasm update| over that variable's update scale
 *   (see `largestUpdateError`): the update, not the weight, since a weight of 1 moved by 1e-4 would hide any
 *   error in the move. With plain SGD the update is the gradient times the learning rate, so this is the
 *   gradient's error. 1e-3, as the GPU tolerance of a single value: a step's gradient passes back through the
 *   whole network, each layer's float32 sums in another order, and batch norm divides by the batch's standard
 *   deviations, so it collects more rounding than the loss (the measured worst is 8x below it).
 */
export const PARITY_TOLERANCE: Record<string, { loss: number; update: number }> = {
  // Measured (SwiftShader, Chromium 2026): loss 5e-6 relative; worst update 1.3e-4 (a BiFPN batch-norm weight).
  webgl: { loss: GPU_RELATIVE_TOLERANCE, update: 1e-3 },
  // Measured (batch 4 at 64 px there): loss 1.3e-5 relative; worst update 8.6e-5 (the class head's P7 batch-norm running variance).
  webgpu: { loss: GPU_RELATIVE_TOLERANCE, update: 1e-3 },
};

/** Largest |after - before| of one variable. */
function largestUpdate(before: Float32Array, after: Float32Array): number {
  let largest = 0;
  for (let i = 0; i < before.length; i++) largest = Math.max(largest, Math.abs(after[i] - before[i]));
  return largest;
}

/**
 * The variable whose update differs most between `actual` and `expected` (both after one step from
 * `initial`): `largest |actual update - expected update|` over that variable's update scale, which is its own
 * largest |expected update|, but at least `FLOOR` of the largest expected update of any variable of its kind
 * (parameters, or the running statistics, keys ending in `running_mean` / `running_var`). The floor is for
 * updates that are zero but for rounding: a convolution's bias under a training-mode batch norm has a zero
 * gradient, and a 1x1 convolution of batch-normed input with a zero bias has a zero batch mean, so what both
 * backends compute there is float32 noise; relative to itself it would be any number.
 */
export function largestUpdateError(initial: StepState, actual: StepState, expected: StepState): { name: string; error: number } {
  const isStatistic = (name: string) => /running_(mean|var)$/.test(name);
  const kindScale = [false, true].map((statistic) =>
    Math.max(0, ...[...initial].filter(([name]) => isStatistic(name) === statistic).map(([name, before]) => largestUpdate(before, expected.get(name) as Float32Array))),
  );
  let worst = { name: '', error: 0 };
  for (const [name, before] of initial) {
    const [a, e] = [actual.get(name), expected.get(name)];
    if (a === undefined || e === undefined) throw new Error(`${name}: missing after the step`);
    let difference = 0;
    for (let i = 0; i < before.length; i++) {
      // NaN on either side makes the error NaN, which fails every comparison.
      difference = Math.max(difference, Math.abs(a[i] - before[i] - (e[i] - before[i])));
    }
    const scale = Math.max(largestUpdate(before, e), FLOOR * kindScale[isStatistic(name) ? 1 : 0]);
    const error = scale === 0 ? (difference === 0 ? 0 : Infinity) : difference / scale;
    if (!(error <= worst.error)) worst = { name, error };
  }
  return worst;
}

/** The smallest update scale of a variable, as a fraction of the largest update of its kind. */
export const FLOOR = 1e-2;
