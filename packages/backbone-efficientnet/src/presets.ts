import { InvalidArgumentError } from '@edet/tensor';

/** EfficientNet variant: 0 for B0 up to 7 for B7. */
export type EfficientNetVariant = 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7;

/** The compound-scaling coefficients of one variant (efficientnet-pytorch conventions). */
export interface EfficientNetParams {
  /** Channel multiplier applied by `roundFilters`. */
  readonly widthCoefficient: number;
  /** Repeat multiplier applied by `roundRepeats`. */
  readonly depthCoefficient: number;
  /** Input resolution the classifier was designed for (square). */
  readonly resolution: number;
  /** Dropout rate before the classifier's `_fc` (training only). */
  readonly dropoutRate: number;
}

// One row per variant: [width, depth, resolution, dropout]. Data, not code: B0..B7 differ only here.
const PRESETS: readonly (readonly [number, number, number, number])[] = [
  [1.0, 1.0, 224, 0.2],
  [1.0, 1.1, 240, 0.2],
  [1.1, 1.2, 260, 0.3],
  [1.2, 1.4, 300, 0.3],
  [1.4, 1.8, 380, 0.4],
  [1.6, 2.2, 456, 0.4],
  [1.8, 2.6, 528, 0.5],
  [2.0, 3.1, 600, 0.5],
];

/** Every variant, B0 first. */
export const EFFICIENTNET_VARIANTS: readonly EfficientNetVariant[] = [0, 1, 2, 3, 4, 5, 6, 7];

/** Throws `InvalidArgumentError` naming `argument` unless `variant` is an integer in 0..7. */
export function checkVariant(variant: unknown, argument = 'variant'): asserts variant is EfficientNetVariant {
  if (typeof variant !== 'number' || !Number.isInteger(variant) || variant < 0 || variant > 7) {
    throw new InvalidArgumentError(argument, 'an integer 0..7 (B0..B7)', String(variant));
  }
}

/** The preset of EfficientNet-B`variant`: width/depth coefficients, resolution and dropout rate. */
export function efficientNetParams(variant: EfficientNetVariant): EfficientNetParams {
  checkVariant(variant);
  const [widthCoefficient, depthCoefficient, resolution, dropoutRate] = PRESETS[variant];
  return Object.freeze({ widthCoefficient, depthCoefficient, resolution, dropoutRate });
}
