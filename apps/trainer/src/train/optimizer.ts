import type * as tf from '@tensorflow/tfjs-core';
import { AdamW } from '@edet/tensor';

import { decaysWeight } from './decay-filter.js';
import { Sgd } from './sgd.js';

/** What `--optimizer` names. */
export const OPTIMIZERS = ['adamw', 'sgd'] as const;
export type OptimizerName = (typeof OPTIMIZERS)[number];

/** What the trainer needs of an optimizer: edet's `AdamW` and `Sgd` both fit. */
export interface TrainOptimizer {
  learningRate: number;
  step: number;
  applyGradients(variables: ReadonlyMap<string, tf.Variable>, gradients: Readonly<Record<string, tf.Tensor>>): void;
  getState(): { step: number; tensors: Record<string, tf.Tensor> };
  setState(state: { step: number; tensors: Readonly<Record<string, tf.Tensor>> }): void;
  dispose(): void;
}

/** Weight decay when `--weight-decay` is not given: AdamW's usual 0.01, SGD's official EfficientDet 4e-5. */
export function defaultWeightDecay(name: OptimizerName): number {
  return name === 'adamw' ? 1e-2 : 4e-5;
}

/** The optimizer of a run; weight decay skips norms, biases and fusion weights (see `decaysWeight`). */
export function createOptimizer(name: OptimizerName, learningRate: number, weightDecay: number): TrainOptimizer {
  if (name === 'sgd') return new Sgd({ learningRate, momentum: 0.9, weightDecay, decayFilter: decaysWeight });
  return new AdamW({ learningRate, weightDecay, decayFilter: decaysWeight });
}
