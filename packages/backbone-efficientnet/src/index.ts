export { EfficientNet } from './efficientnet.js';
export { EfficientNetBackbone } from './backbone.js';
export { EfficientNetTrunk, type FeaturePyramid } from './trunk.js';
export { EfficientNetStage, StemStage, BlockStage } from './stage.js';
export { MBConvBlock } from './mbconv.js';
export { type EfficientNetVariant, type EfficientNetParams, EFFICIENTNET_VARIANTS, efficientNetParams } from './presets.js';
export { type EfficientNetOptions, type ResolvedEfficientNetOptions, resolveEfficientNetOptions } from './options.js';
export {
  type BlockDefinition,
  EFFICIENTNET_BLOCK_STRINGS,
  EFFICIENTNET_LITE_BLOCK_STRINGS,
  decodeBlockString,
  encodeBlockString,
} from './block-string.js';
export { roundFilters, roundRepeats } from './scaling.js';
export {
  type MBConvConfig,
  type FeatureInfo,
  type EfficientNetPlan,
  type EfficientNetPart,
  planEfficientNet,
  featureTaps,
  efficientNetParameterCount,
} from './plan.js';
export { type RandomSource, createRandom } from './random.js';
export { dropConnect, dropout } from './drop-connect.js';
export { checkImageBatch, checkFiniteAsync, type ImageBatchCheck } from './input.js';
