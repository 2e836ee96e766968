/**
 * Finite-difference checking of registered gradients, shared by the `gradients-*.test.ts` files.
 *
 * For `y = f(x1, ..., xk)` and a fixed random cotangent `r` (shaped like y), the analytic gradients are
 * `tf.grads(f)(xs, r)`, i.e. the gradient of `L = sum(y * r)`; they are compared entry by entry with central
 * differences `(L(x + eps e_j) - L(x - eps e_j)) / (2 eps)`, where L is summed in float64 from the float32
 * outputs. Passing `r` as `dy` keeps Sum/Multiply out of the kernels under test.
 */
import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';

/** Deterministic uniform numbers in [0, 1) (mulberry32), so failures reproduce. */
export function rng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Options of `randomTensor`. */
export interface RandomOptions {
  min?: number;
  max?: number;
  /** Keep every value at least this far from 0 (for kinks at 0: relu, abs, sign). */
  awayFromZero?: number;
  /**
   * Make all values distinct and at least this far apart (a shuffled grid), for max / min / max-pool where
   * a tie or near-tie would make the finite difference cross a kink.
   */
  distinct?: number;
}

/** A float32 tensor of seeded random values. */
export function randomTensor(shape: number[], seed: number, options: RandomOptions = {}): tf.Tensor {
  const { min = -1, max = 1, awayFromZero = 0, distinct } = options;
  const next = rng(seed);
  const size = shape.reduce((a, b) => a * b, 1);
  let values: number[];
  if (distinct !== undefined) {
    values = Array.from({ length: size }, (_, i) => min + i * distinct);
    for (let i = size - 1; i > 0; i--) {
      const j = Math.floor(next() * (i + 1));
      [values[i], values[j]] = [values[j], values[i]];
    }
  } else {
    values = Array.from({ length: size }, () => {
      const v = min + (max - min) * next();
      if (Math.abs(v) >= awayFromZero) return v;
      return v < 0 ? -awayFromZero - next() * 0.5 : awayFromZero + next() * 0.5;
    });
  }
  return tf.tensor(values, shape, 'float32');
}

/** Tolerances of `checkGradients`. */
export interface CheckOptions {
  /** Finite-difference step (default 1e-2: float32 forward passes need a large one). */
  eps?: number;
  /** Relative tolerance (default 1e-2). */
  rtol?: number;
  /** Absolute tolerance (default 1e-3). */
  atol?: number;
  /** Indices of the inputs to differentiate (default: every float32 input). */
  wrt?: number[];
}

/**
 * Options for kernels that are linear in the input being checked (moves, slices, convs per argument):
 * central differences are then exact up to float32 rounding for any step, so a large step allows tight
 * tolerances.
 */
export const LINEAR: CheckOptions = { eps: 0.5, rtol: 1e-3, atol: 1e-4 };

function lossOf(y: tf.Tensor, r: Float32Array): number {
  const values = y.dataSync();
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i] * r[i];
  return sum;
}

/**
 * Checks the gradient of `f` at `inputs` against central differences and returns the names of the kernels
 * `f` ran (so a test file can assert that every gradient of its family was exercised). Fails the test with
 * the worst entry when a gradient is off.
 */
export async function checkGradients(
  f: (...xs: tf.Tensor[]) => tf.Tensor,
  inputs: tf.Tensor[],
  options: CheckOptions = {},
): Promise<string[]> {
  const { eps = 1e-2, rtol = 1e-2, atol = 1e-3 } = options;
  const wrt = options.wrt ?? inputs.flatMap((x, i) => (x.dtype === 'float32' ? [i] : []));
  const profile = await tf.profile(() => f(...inputs));
  const kernels = profile.kernels.map((k) => k.name);
  tf.dispose(profile.result as tf.Tensor);

  const y0 = tf.tidy(() => f(...inputs));
  const cotangent = randomTensor(y0.shape, 1234 + y0.size, { min: -1, max: 1 });
  const r = cotangent.dataSync() as Float32Array;
  const analytic = tf.tidy(() => {
    const all = tf.grads((...xs: tf.Tensor[]) => {
      // Inputs not differentiated are closed over, so the tape sees only the ones under test.
      const full = inputs.map((x, i) => {
        const k = wrt.indexOf(i);
        return k >= 0 ? xs[k] : x;
      });
      return f(...full);
    })(
      wrt.map((i) => inputs[i]),
      cotangent,
    );
    return all;
  });
  y0.dispose();

  for (let k = 0; k < wrt.length; k++) {
    const index = wrt[k];
    const x = inputs[index];
    const base = Float32Array.from(x.dataSync() as Float32Array);
    const grad = analytic[k].dataSync();
    expect(analytic[k].shape, `gradient shape of input ${index}`).toEqual(x.shape);
    let worst = { excess: -Infinity, message: '' };
    for (let j = 0; j < base.length; j++) {
      const at = (delta: number) => {
        const values = Float32Array.from(base);
        values[j] += delta;
        const perturbed = tf.tensor(values, x.shape, 'float32');
        const y = tf.tidy(() => f(...inputs.map((t, i) => (i === index ? perturbed : t))));
        const loss = lossOf(y, r);
        tf.dispose([perturbed, y]);
        return loss;
      };
      const numeric = (at(eps) - at(-eps)) / (2 * eps);
      const error = Math.abs(grad[j] - numeric);
      const allowed = atol + rtol * Math.abs(numeric);
      if (error - allowed > worst.excess) {
        worst = {
          excess: error - allowed,
          message: `input ${index} entry ${j}: analytic ${grad[j]}, numeric ${numeric} (|diff| ${error} > ${allowed})`,
        };
      }
    }
    expect(worst.excess <= 0, worst.message).toBe(true);
  }
  tf.dispose([...analytic, cotangent]);
  return kernels;
}

/** Collects the kernels `checkGradients` saw across a test file. */
export class KernelLog {
  readonly seen = new Set<string>();

  /** Runs `checkGradients` and records its kernels. */
  async check(f: (...xs: tf.Tensor[]) => tf.Tensor, inputs: tf.Tensor[], options?: CheckOptions): Promise<void> {
    for (const name of await checkGradients(f, inputs, options)) this.seen.add(name);
  }

  /** The kernel names of `configs` that no check ran. */
  missing(configs: readonly tf.GradConfig[]): string[] {
    return configs.map((c) => c.kernelName).filter((name) => !this.seen.has(name));
  }
}

/**
 * Runs `body` on the cpu backend and switches back to the previous backend afterwards. For checks whose
 * forward op is itself broken on another backend (a tfjs bug, not a gradient one).
 */
export async function onCpu<T>(body: () => Promise<T>): Promise<T> {
  const previous = tf.getBackend();
  if (tf.findBackendFactory('cpu') === null) await import('@tensorflow/tfjs-backend-cpu');
  await tf.setBackend('cpu');
  try {
    return await body();
  } finally {
    await tf.setBackend(previous);
  }
}
