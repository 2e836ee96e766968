import { ACTIVATIONS, type Activation, InvalidArgumentError } from '@edet/tensor';

import { EFFICIENTNET_BLOCK_STRINGS, EFFICIENTNET_LITE_BLOCK_STRINGS } from './block-string.js';
import { type EfficientNetVariant, checkVariant, efficientNetParams } from './presets.js';

/** Options of `EfficientNet` and `EfficientNetBackbone`. Everything but `variant` has a default. */
export interface EfficientNetOptions {
  /** 0..7 for EfficientNet-B0..B7; picks the preset of `efficientNetParams`. */
  variant: EfficientNetVariant;
  /** Classes of the classifier's `_fc` (default 1000, ImageNet). Ignored by the backbone. */
  numClasses?: number;
  /**
   * Stochastic-depth rate of the last block (default 0.2); block i of n uses `dropConnectRate * i / n`.
   * Applies in training mode only.
   */
  dropConnectRate?: number;
  /** Dropout before `_fc` in training mode (default: the variant's preset, 0.2 for B0 up to 0.5 for B7). */
  dropoutRate?: number;
  /** Overrides the preset's width multiplier. */
  widthCoefficient?: number;
  /** Overrides the preset's depth multiplier. */
  depthCoefficient?: number;
  /**
   * EfficientNet-Lite (timm `tf_efficientnet_lite0..4`, with the B0..B4 coefficients): no squeeze-excite,
   * relu6, the stem (32) and head (1280) widths and the first and last stages' repeats not scaled. Default false.
   */
  lite?: boolean;
  /** Activation after the stem and inside the blocks (default swish; relu6 for `lite`). */
  activation?: Activation;
  /** Stage rows before scaling (default `EFFICIENTNET_BLOCK_STRINGS`, the seven B0 stages; without SE for `lite`). */
  blockStrings?: readonly string[];
  /**
   * Seed of the random source behind drop-connect and dropout, for reproducible training steps.
   * Without it the source is seeded from `Math.random()`. Parameter initialisation is separate
   * (see `seedInitializers` in `@edet/tensor`).
   */
  seed?: number;
}

/** `EfficientNetOptions` with every default filled in. */
export interface ResolvedEfficientNetOptions {
  readonly variant: EfficientNetVariant;
  readonly numClasses: number;
  readonly dropConnectRate: number;
  readonly dropoutRate: number;
  readonly widthCoefficient: number;
  readonly depthCoefficient: number;
  readonly blockStrings: readonly string[];
  readonly seed: number | undefined;
  readonly lite: boolean;
  readonly activation: Activation;
}

/** Fills in defaults and validates; throws `InvalidArgumentError` naming the offending option. */
export function resolveEfficientNetOptions(options: EfficientNetOptions): ResolvedEfficientNetOptions {
  if (options === null || typeof options !== 'object') {
    throw new InvalidArgumentError('options', 'an object like { variant: 0 }', String(options));
  }
  checkVariant(options.variant, 'options.variant');
  const preset = efficientNetParams(options.variant);
  const resolved = {
    variant: options.variant,
    numClasses: options.numClasses ?? 1000,
    dropConnectRate: options.dropConnectRate ?? 0.2,
    dropoutRate: options.dropoutRate ?? preset.dropoutRate,
    widthCoefficient: options.widthCoefficient ?? preset.widthCoefficient,
    depthCoefficient: options.depthCoefficient ?? preset.depthCoefficient,
    blockStrings: options.blockStrings ?? (options.lite ? EFFICIENTNET_LITE_BLOCK_STRINGS : EFFICIENTNET_BLOCK_STRINGS),
    seed: options.seed,
    lite: options.lite ?? false,
    activation: options.activation ?? (options.lite ? 'relu6' : 'swish'),
  };
  if (typeof resolved.lite !== 'boolean') throw new InvalidArgumentError('options.lite', 'true or false', String(resolved.lite));
  if (!ACTIVATIONS.includes(resolved.activation)) {
    throw new InvalidArgumentError('options.activation', ACTIVATIONS.map((a) => `'${a}'`).join(' or '), String(resolved.activation));
  }
  if (!Number.isInteger(resolved.numClasses) || resolved.numClasses < 1) {
    throw new InvalidArgumentError('options.numClasses', 'a positive integer', String(resolved.numClasses));
  }
  for (const name of ['dropConnectRate', 'dropoutRate'] as const) {
    const rate = resolved[name];
    if (!(rate >= 0 && rate < 1)) throw new InvalidArgumentError(`options.${name}`, 'a rate in [0, 1)', String(rate));
  }
  for (const name of ['widthCoefficient', 'depthCoefficient'] as const) {
    const value = resolved[name];
    if (!(value > 0)) throw new InvalidArgumentError(`options.${name}`, 'a positive number', String(value));
  }
  if (resolved.blockStrings.length === 0) {
    throw new InvalidArgumentError('options.blockStrings', 'at least one block string', '[]');
  }
  if (resolved.seed !== undefined && !Number.isFinite(resolved.seed)) {
    throw new InvalidArgumentError('options.seed', 'a finite number', String(resolved.seed));
  }
  return Object.freeze(resolved);
}
