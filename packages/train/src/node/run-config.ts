import type { DatasetFormat } from '@edet/data/node';
import type { InputSize } from '@edet/model';

import type { OptimizerName } from '../optimizer.js';

/**
 * Model settings beyond `coef` and `size`: a named model's preset fields, `edet train --bn-momentum`, and
 * the architecture overrides of small test models.
 */
export interface ModelOverrides {
  fpnLayers?: number;
  headLayers?: number;
  fpnChannels?: number;
  batchNormMomentum?: number;
}

/**
 * Everything that decides what a run computes, resolved (no defaults left open). It is saved in every
 * checkpoint; a resumed run takes it from there, so the continuation computes what the uninterrupted run
 * would have.
 */
export interface RunConfig {
  /** Absolute dataset path. */
  data: string;
  format: DatasetFormat;
  split: string;
  valSplit: string;
  coef: number;
  /** The network input: a square side or `[height, width]`. */
  size: InputSize;
  batch: number;
  /** Images per forward/backward pass; a larger batch is split and its gradients averaged. */
  microBatch: number;
  epochs: number;
  lr: number;
  optimizer: OptimizerName;
  weightDecay: number;
  /** Warm-up steps of the schedule. */
  warmupSteps: number;
  /** Global gradient-norm clip; 0 for none. */
  clip: number;
  /** EMA decay, or null without EMA. */
  ema: number | null;
  seed: number;
  augment: boolean;
  /** Initial weights file, if any (absolute). */
  weights: string | null;
  model: ModelOverrides;
}
