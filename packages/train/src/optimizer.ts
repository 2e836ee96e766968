import { AdamW, type Optimizer, Sgd } from '@edet/tensor';

import { decaysWeight } from './decay-filter.js';

/** The optimizers a run can use (the CLI's `--optimizer`). */
export const OPTIMIZERS = ['adamw', 'sgd'] as const;
export type OptimizerName = (typeof OPTIMIZERS)[number];

/** Weight decay when `--weight-decay` is not given: AdamW's usual 0.01, SGD's official EfficientDet 4e-5. */
export function defaultWeightDecay(name: OptimizerName): number {
  return name === 'adamw' ? 1e-2 : 4e-5;
}

/**
 * The optimizer of a run; weight decay skips norms, biases and fusion weights (see `decaysWeight`).
 * The caller owns it and calls `dispose()` to free its moments or momentum buffers.
 */
export function createOptimizer(name: OptimizerName, learningRate: number, weightDecay: number): Optimizer {
  if (name === 'sgd') return new Sgd({ learningRate, momentum: 0.9, weightDecay, decayFilter: decaysWeight });
  return new AdamW({ learningRate, weightDecay, decayFilter: decaysWeight });
}
