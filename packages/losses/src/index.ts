// Detection losses: focal loss for classification, smooth L1 / Huber and the IoU family for boxes, and the
// normalisation by positive anchors that EfficientDet's training loss uses.
export type { Reduction, ReductionOptions } from './reduction.js';
export { sigmoidFocalLoss, type FocalLossOptions } from './focal-loss.js';
export {
  FOCAL_LOSS_KERNEL,
  FOCAL_LOSS_GRAD_KERNEL,
  focalLossKernelTakesWeights,
  type FocalLossKernelAttrs,
} from './focal-loss-kernel.js';
export { AnchorState, type AnchorStateValue } from './anchor-state.js';
export {
  normalizeByPositives,
  type PositiveNormalization,
  type PositiveNormalizationOptions,
} from './normalize.js';
export { focalLossNormalized, type NormalizedFocalLossOptions } from './focal-loss-normalized.js';
export { smoothL1Loss, type SmoothL1LossOptions } from './smooth-l1-loss.js';
export { huberLoss, type HuberLossOptions } from './huber-loss.js';
export { iouLoss, giouLoss, diouLoss, ciouLoss, type IouLossOptions } from './iou-losses.js';
export { stopGradient } from './stop-gradient.js';
