import * as tf from '@tensorflow/tfjs-core';

import { InvalidArgumentError } from '../errors.js';
import { ADAMW_UPDATE_KERNEL, type AdamWUpdateAttrs } from '../fused-kernels/adamw-update.js';
import type { Optimizer, OptimizerState } from './optimizer.js';

/** Options of `AdamW`. */
export interface AdamWOptions {
  /** Step size (default 1e-3). Can be changed between steps (`optimizer.learningRate = ...`) for schedules. */
  learningRate?: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  /** Decoupled weight decay (default 0.01), applied as `w -= lr * decay * w`. */
  weightDecay?: number;
  /** Which variables get weight decay, by name (default: all). Norm weights and biases usually do not. */
  decayFilter?: (name: string, variable: tf.Variable) => boolean;
}

/** The moments of one variable. */
interface Moments {
  m: tf.Variable;
  v: tf.Variable;
}

/**
 * Adam with decoupled weight decay (Loshchilov & Hutter), over named variables. tfjs ships Adam but not
 * AdamW. Owns its moment variables: `dispose()` frees them. `getState()` / `setState()` expose them for
 * checkpoints.
 */
export class AdamW implements Optimizer {
  learningRate: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly weightDecay: number;
  private readonly decayFilter: (name: string, variable: tf.Variable) => boolean;
  private readonly moments = new Map<string, Moments>();
  /** Number of updates applied so far (drives the bias correction). */
  step = 0;

  constructor(options: AdamWOptions = {}) {
    this.learningRate = options.learningRate ?? 1e-3;
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.epsilon = options.epsilon ?? 1e-8;
    this.weightDecay = options.weightDecay ?? 0.01;
    this.decayFilter = options.decayFilter ?? (() => true);
    if (!(this.learningRate > 0)) throw new InvalidArgumentError('learningRate', 'a positive number', String(this.learningRate));
  }

  /**
   * Applies one update. `gradients` maps variable names to gradients of the loss (not disposed here);
   * `variables` maps the same names to the variables to update.
   */
  applyGradients(variables: ReadonlyMap<string, tf.Variable>, gradients: Readonly<Record<string, tf.Tensor>>): void {
    this.step += 1;
    const correction1 = 1 - this.beta1 ** this.step;
    const correction2 = 1 - this.beta2 ** this.step;
    // Bias corrections folded into the step size: lr * sqrt(c2) / c1.
    const stepSize = (this.learningRate * Math.sqrt(correction2)) / correction1;
    const epsilon = this.epsilon * Math.sqrt(correction2);
    // The fused kernel (one pass per variable) where the backend has it; the same arithmetic in ops elsewhere.
    const fused = tf.getKernel(ADAMW_UPDATE_KERNEL, tf.getBackend()) != null;
    for (const [name, variable] of variables) {
      const gradient = gradients[name];
      if (!gradient) continue;
      const moments = this.momentsFor(name, variable);
      const decay = this.weightDecay > 0 && this.decayFilter(name, variable) ? this.learningRate * this.weightDecay : 0;
      tf.tidy(() => {
        if (fused) {
          const attrs: AdamWUpdateAttrs = { beta1: this.beta1, beta2: this.beta2, stepSize, epsilon, decay };
          const inputs = { variable, m: moments.m, v: moments.v, gradient };
          const [w, m, v] = tf.engine().runKernel(ADAMW_UPDATE_KERNEL, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
          moments.m.assign(m);
          moments.v.assign(v);
          variable.assign(w);
          return;
        }
        const m = tf.add(tf.mul(moments.m, this.beta1), tf.mul(gradient, 1 - this.beta1));
        const v = tf.add(tf.mul(moments.v, this.beta2), tf.mul(tf.square(gradient), 1 - this.beta2));
        moments.m.assign(m);
        moments.v.assign(v);
        let updated = tf.sub(variable, tf.mul(tf.div(m, tf.add(tf.sqrt(v), epsilon)), stepSize));
        if (decay > 0) updated = tf.sub(updated, tf.mul(variable, decay));
        variable.assign(updated);
      });
    }
  }

  private momentsFor(name: string, variable: tf.Variable): Moments {
    let moments = this.moments.get(name);
    if (!moments) {
      moments = { m: zeroVariable(variable), v: zeroVariable(variable) };
      this.moments.set(name, moments);
    }
    return moments;
  }

  /** Moments keyed `name/m` and `name/v` plus the step; tensors are new and owned by the caller. */
  getState(): OptimizerState {
    const tensors: Record<string, tf.Tensor> = {};
    for (const [name, { m, v }] of this.moments) {
      tensors[`${name}/m`] = tf.clone(m);
      tensors[`${name}/v`] = tf.clone(v);
    }
    return { step: this.step, tensors };
  }

  /** Restores `getState()` output (the caller keeps ownership of `tensors`). */
  setState(state: { step: number; tensors: Readonly<Record<string, tf.Tensor>> }): void {
    this.dispose();
    this.step = state.step;
    for (const [key, tensor] of Object.entries(state.tensors)) {
      const slash = key.lastIndexOf('/');
      const name = key.slice(0, slash);
      const moments = this.moments.get(name) ?? { m: zeroVariable(tensor), v: zeroVariable(tensor) };
      (key.endsWith('/m') ? moments.m : moments.v).assign(tensor);
      this.moments.set(name, moments);
    }
  }

  /** Frees the moment variables. */
  dispose(): void {
    for (const { m, v } of this.moments.values()) tf.dispose([m, v]);
    this.moments.clear();
  }
}

/** A non-trainable all-zero variable shaped like `like` (the temporary zeros tensor is freed). */
function zeroVariable(like: tf.Tensor): tf.Variable {
  return tf.tidy(() => tf.variable(tf.zerosLike(like), false));
}
