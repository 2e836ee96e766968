import type { Activation } from '@edet/tensor';

/**
 * How pixels become network inputs: `imagenet` (`(x/255 - mean) / std` with ImageNet statistics, the D
 * family) or `symmetric` (`(x/255 - 0.5) / 0.5`, effdet's Lite family).
 */
export type Normalization = 'imagenet' | 'symmetric';

/** The settings every EfficientDet preset fixes (zylo117 / official table). */
export interface EfficientDetPreset {
  /** EfficientNet variant of the backbone (B0..B7). */
  backboneVariant: 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7;
  /** BiFPN width. */
  fpnChannels: number;
  /** Number of BiFPN layers. */
  fpnLayers: number;
  /** Separable conv layers in each head. */
  headLayers: number;
  /** Square input size in pixels. */
  inputSize: number;
  /** Anchor size in strides. */
  anchorScale: number;
  /** Highest pyramid level (7; 8 for D7x). */
  maxLevel: number;
  /** Fast normalised fusion (D0-D5) or plain sums (D6+, Lite). */
  weightedFusion: boolean;
  /** EfficientNet (`efficientnet`, D family) or EfficientNet-Lite (`efficientnet-lite`: no SE, fixed stem). */
  backbone: 'efficientnet' | 'efficientnet-lite';
  /** Activation of the backbone, BiFPN and heads: swish (D family) or relu6 (Lite). */
  activation: Activation;
  /**
   * Conv biases before batch norms (BiFPN and head convs, lateral projections), as zylo117 and effdet's
   * `tf_*` models have them (effdet's `redundant_bias=True`); false leaves them out.
   */
  redundantBias: boolean;
  /** Input normalisation `detect` applies (see `Normalization`). */
  normalization: Normalization;
}

/** Compound coefficient of D7x, which adds P8. */
export const D7X = 8;

const table = {
  backboneVariant: [0, 1, 2, 3, 4, 5, 6, 6, 7],
  fpnChannels: [64, 88, 112, 160, 224, 288, 384, 384, 384],
  fpnLayers: [3, 4, 5, 6, 7, 7, 8, 8, 8],
  headLayers: [3, 3, 3, 4, 4, 4, 5, 5, 5],
  inputSize: [512, 640, 768, 896, 1024, 1280, 1280, 1536, 1536],
  anchorScale: [4, 4, 4, 4, 4, 4, 4, 5, 4],
  maxLevel: [7, 7, 7, 7, 7, 7, 7, 7, 8],
} as const;

/** The preset of D`coef` (0..7, or `D7X` = 8). */
export function efficientDetPreset(coef: number): EfficientDetPreset {
  return {
    backboneVariant: table.backboneVariant[coef] as EfficientDetPreset['backboneVariant'],
    fpnChannels: table.fpnChannels[coef],
    fpnLayers: table.fpnLayers[coef],
    headLayers: table.headLayers[coef],
    inputSize: table.inputSize[coef],
    anchorScale: table.anchorScale[coef],
    maxLevel: table.maxLevel[coef],
    weightedFusion: coef < 6,
    backbone: 'efficientnet',
    activation: 'swish',
    redundantBias: true,
    normalization: 'imagenet',
  };
}

/** Display name of a coefficient: `D0`..`D7`, `D7x`. */
export function presetName(coef: number): string {
  return coef === D7X ? 'D7x' : `D${coef}`;
}
