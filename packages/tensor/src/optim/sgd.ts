import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from '../errors.js';
import type { Optimizer, OptimizerState } from './optimizer.js';

/** Options of `Sgd`. */
export interface SgdOptions {
  learningRate?: number;
  /** Heavy-ball momentum (default 0.9). */
  momentum?: number;
  /** L2 weight decay added to the gradient, `g + decay * w`, as PyTorch's SGD does (default 4e-5, the official EfficientDet value). */
  weightDecay?: number;
  /** Nesterov momentum (default false). */
  nesterov?: boolean;
  /** Which variables get weight decay, by name (default: all). */
  decayFilter?: (name: string, variable: tf.Variable) => boolean;
}

/**
 * SGD with momentum over named variables, an `Optimizer` like edet's `AdamW`. Owns its momentum buffers:
 * `dispose()` frees them. PyTorch's update: `buf = momentum * buf + g` (`buf = g` on the first step), `w -= lr * buf`
 * (Nesterov: `w -= lr * (g + momentum * buf)`).
 */
export class Sgd implements Optimizer {
  learningRate: number;
  readonly momentum: number;
  readonly weightDecay: number;
  readonly nesterov: boolean;
  private readonly decayFilter: (name: string, variable: tf.Variable) => boolean;
  private readonly buffers = new Map<string, tf.Variable>();
  /** Number of updates applied so far. */
  step = 0;

  constructor(options: SgdOptions = {}) {
    this.learningRate = options.learningRate ?? 1e-2;
    this.momentum = options.momentum ?? 0.9;
    this.weightDecay = options.weightDecay ?? 4e-5;
    this.nesterov = options.nesterov ?? false;
    this.decayFilter = options.decayFilter ?? (() => true);
    if (!(this.learningRate > 0)) throw new InvalidArgumentError('learningRate', 'a positive number', String(this.learningRate));
    if (!(this.momentum >= 0 && this.momentum < 1)) throw new InvalidArgumentError('momentum', 'a number in [0, 1)', String(this.momentum));
  }

  /** Applies one update; `gradients` (keyed like `variables`) are not disposed. */
  applyGradients(variables: ReadonlyMap<string, tf.Variable>, gradients: Readonly<Record<string, tf.Tensor>>): void {
    this.step += 1;
    for (const [name, variable] of variables) {
      const gradient = gradients[name];
      if (!gradient) continue;
      tf.tidy(() => {
        let g: tf.Tensor = gradient;
        if (this.weightDecay > 0 && this.decayFilter(name, variable)) g = tf.add(g, tf.mul(variable, this.weightDecay));
        let direction = g;
        if (this.momentum > 0) {
          const buffer = this.bufferFor(name, variable);
          const updated = tf.add(tf.mul(buffer, this.momentum), g);
          buffer.assign(updated);
          direction = this.nesterov ? tf.add(g, tf.mul(updated, this.momentum)) : updated;
        }
        variable.assign(tf.sub(variable, tf.mul(direction, this.learningRate)));
      });
    }
  }

  private bufferFor(name: string, variable: tf.Variable): tf.Variable {
    let buffer = this.buffers.get(name);
    if (!buffer) {
      const zeros = tf.zerosLike(variable);
      buffer = tf.variable(zeros, false);
      zeros.dispose();
      this.buffers.set(name, buffer);
    }
    return buffer;
  }

  /** Momentum buffers keyed `name/momentum` plus the step; the tensors are new and owned by the caller. */
  getState(): OptimizerState {
    const tensors: Record<string, tf.Tensor> = {};
    for (const [name, buffer] of this.buffers) tensors[`${name}/momentum`] = tf.clone(buffer);
    return { step: this.step, tensors };
  }

  /** Restores `getState()` output (the caller keeps ownership of `tensors`). */
  setState(state: { step: number; tensors: Readonly<Record<string, tf.Tensor>> }): void {
    this.dispose();
    this.step = state.step;
    for (const [key, tensor] of Object.entries(state.tensors)) {
      const name = key.slice(0, key.lastIndexOf('/'));
      const copy = tf.clone(tensor);
      this.buffers.set(name, tf.variable(copy, false));
      copy.dispose();
    }
  }

  /** Frees the momentum buffers. */
  dispose(): void {
    for (const buffer of this.buffers.values()) buffer.dispose();
    this.buffers.clear();
  }
}
