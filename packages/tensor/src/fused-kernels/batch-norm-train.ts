import type { BatchNormSync } from '../layers/batch-norm-sync.js';

/**
 * The contract of the fused training-mode batch norm (+ activation) kernels, which `fusedBatchNormTraining`
 * runs where a kernel package has registered them for the active backend (`@edet/wasm-kernels` does, for
 * wasm). Statistics are per channel over every other axis of a float32 channels-last tensor `[N, H, W, C]`.
 *
 * `EdetBatchNormTrain`: inputs `x` `[..., C]`, `gamma` and `beta` `[C]`; attrs `BatchNormTrainAttrs`.
 * Outputs `[y, mean, variance, invStd]`: y like x, `y = act((x - mean) * invStd * gamma + beta)`; the batch
 * mean, the biased batch variance and `1 / sqrt(variance + eps)`, all `[C]`.
 *
 * `EdetBatchNormTrainGrad`: inputs `dy` (like x), `x`, `gamma`, `beta`, `mean` and `invStd` (`[C]`, as the
 * forward kernel returned them); attrs `BatchNormTrainGradAttrs`. Outputs `[dx, dGamma, dBeta]`.
 */

/** Name of the forward kernel. */
export const BATCH_NORM_TRAIN = 'EdetBatchNormTrain';
/** Name of the backward kernel. */
export const BATCH_NORM_TRAIN_GRAD = 'EdetBatchNormTrainGrad';

/** The activation fused after the normalisation. */
export type BatchNormActivation = 'none' | 'swish';

/** Attributes of `EdetBatchNormTrainGrad`. */
export interface BatchNormTrainGradAttrs {
  activation: BatchNormActivation;
  /**
   * The synchronisation of this pass, if any (see `setBatchNormSync`): the layer hands it to the kernel, which
   * then shares its statistics (forward) and its two gradient sums (backward) with the other replicas.
   */
  sync?: BatchNormSync;
}

/** Attributes of `EdetBatchNormTrain`. */
export interface BatchNormTrainAttrs extends BatchNormTrainGradAttrs {
  eps: number;
}
