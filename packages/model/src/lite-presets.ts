import type { EfficientDetPreset } from './presets.js';

/** The EfficientDet-Lite models, as effdet (`tf_efficientdet_lite*`) and automl (`efficientdet_lite_param_dict`) define them. */
export const LITE_NAMES = ['lite0', 'lite1', 'lite2', 'lite3', 'lite3x', 'lite4'] as const;

/** One of `LITE_NAMES`. */
export type LiteName = (typeof LITE_NAMES)[number];

// One column per model, in LITE_NAMES order. Lite3x is Lite3's backbone with a wider BiFPN at 640.
const table = {
  backboneVariant: [0, 1, 2, 3, 3, 4],
  fpnChannels: [64, 88, 112, 160, 200, 224],
  fpnLayers: [3, 4, 5, 6, 6, 7],
  headLayers: [3, 3, 3, 4, 4, 4],
  inputSize: [320, 384, 448, 512, 640, 640],
  anchorScale: [3, 3, 3, 4, 3, 4],
} as const;

/**
 * The preset of an EfficientDet-Lite model: EfficientNet-Lite backbone, relu6 everywhere, plain-sum BiFPN
 * fusion without weights, `(x/255 - 0.5) / 0.5` input normalisation, P3..P7.
 */
export function liteDetPreset(name: LiteName): EfficientDetPreset {
  const i = LITE_NAMES.indexOf(name);
  return {
    backboneVariant: table.backboneVariant[i],
    fpnChannels: table.fpnChannels[i],
    fpnLayers: table.fpnLayers[i],
    headLayers: table.headLayers[i],
    inputSize: table.inputSize[i],
    anchorScale: table.anchorScale[i],
    maxLevel: 7,
    weightedFusion: false,
    backbone: 'efficientnet-lite',
    activation: 'relu6',
    redundantBias: true,
    normalization: 'symmetric',
  };
}
