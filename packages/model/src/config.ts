import { ACTIVATIONS, InvalidArgumentError, POOL_PADDINGS, type PoolPadding } from '@edet/tensor';

import { type InputSize, inputShape } from './input-size.js';
import { PRESET_NAMES } from './named-presets.js';
import { D7X, type EfficientDetPreset, efficientDetPreset } from './presets.js';

/**
 * What `new EfficientDet(config)` takes. Only `compoundCoef` is required; every derived setting comes from
 * the preset table and can be overridden field by field.
 */
export interface EfficientDetConfig extends Partial<Omit<EfficientDetPreset, 'inputSize'>> {
  /**
   * Network input: a square side or `[height, width]`, any positive integers (default: the preset's square
   * size). Sizes that are not multiples of `2^maxLevel` run as effdet runs them (maps halve with rounding up,
   * resampling to the next level's size, fractional anchor strides).
   */
  inputSize?: InputSize;
  /** 0..7 for D0..D7, or 8 (`D7X`) for D7x. */
  compoundCoef: number;
  /**
   * The published name the configuration was built from (`PRESET_NAMES`: `tf_efficientdet_lite0`,
   * `efficientdet-d0`, ...). `presetConfig` sets it; saved weights record it (metadata `model`), so that a
   * loader rebuilds the same architecture. It does not change the network: the other fields do.
   */
  model?: string;
  /** Number of classes (default 90, the COCO label space of the official checkpoints). */
  numClasses?: number;
  /** Anchors per location (default 9 = 3 scales x 3 aspect ratios). */
  numAnchors?: number;
  /** Anchor octave scales (default `[2^0, 2^(1/3), 2^(2/3)]`). */
  anchorScales?: number[];
  /** Anchor aspect ratios as `[width, height]` multipliers (default `[[1,1],[1.4,0.7],[0.7,1.4]]`). */
  anchorRatios?: [number, number][];
  /** Lowest pyramid level (default 3). */
  minLevel?: number;
  /** Seed for parameter initialisation, for reproducible untrained models. */
  seed?: number;
  /** Backbone stochastic depth in training mode (default 0.2, the official value; 0 disables it). */
  dropConnectRate?: number;
  /**
   * What the BiFPN's "SAME" max-pools (downsampling, P6 and up) pad with: `zero` as zylo117 trains, or
   * `neg-inf` as the official TF code and effdet do. Unset: `zero` until a checkpoint is loaded, then the
   * checkpoint's (its `poolPadding` metadata, else its key layout's: rwightman -> `neg-inf`). Set: fixed,
   * whatever is loaded.
   */
  poolPadding?: PoolPadding;
  /**
   * How far batch norm's running statistics move towards each training batch's, in (0, 1] (PyTorch's
   * convention; default 0.01, as zylo117 and effdet train). A short fine-tuning run on few images may want
   * 0.1 or more, so that the statistics evaluation uses catch up with the weights (effdet's `--bn-momentum`).
   */
  batchNormMomentum?: number;
}

/** The configuration with every default resolved. */
export interface ResolvedEfficientDetConfig extends Omit<EfficientDetPreset, 'inputSize'> {
  /** The input size as configured: a square side or `[height, width]` (see `inputShape`). */
  inputSize: InputSize;
  compoundCoef: number;
  /** The published name it was built from, when it was (`presetConfig`). */
  model: string | undefined;
  numClasses: number;
  numAnchors: number;
  anchorScales: number[];
  anchorRatios: [number, number][];
  minLevel: number;
  seed: number | undefined;
  dropConnectRate: number;
  /** The max-pool padding in effect (follows the loaded checkpoint unless the config set it). */
  poolPadding: PoolPadding;
  batchNormMomentum: number;
}

const DEFAULT_SCALES = [2 ** 0, 2 ** (1 / 3), 2 ** (2 / 3)];
const DEFAULT_RATIOS: [number, number][] = [
  [1.0, 1.0],
  [1.4, 0.7],
  [0.7, 1.4],
];

function checkInteger(name: string, value: unknown, min: number, max = Infinity): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    const range = max === Infinity ? `>= ${min}` : `in ${min}..${max}`;
    throw new InvalidArgumentError(`config.${name}`, `an integer ${range}`, String(value));
  }
}

/** Merges the preset of `config.compoundCoef` with the overrides and validates the result. */
export function resolveConfig(config: EfficientDetConfig): ResolvedEfficientDetConfig {
  if (config === null || typeof config !== 'object') {
    throw new InvalidArgumentError('config', 'an object like { compoundCoef: 0 }', String(config));
  }
  checkInteger('compoundCoef', config.compoundCoef, 0, D7X);
  const preset = efficientDetPreset(config.compoundCoef);
  const defined = Object.fromEntries(Object.entries(config).filter(([, value]) => value !== undefined));
  const resolved: ResolvedEfficientDetConfig = {
    ...preset,
    numClasses: 90,
    anchorScales: DEFAULT_SCALES,
    anchorRatios: DEFAULT_RATIOS,
    minLevel: 3,
    model: undefined,
    seed: undefined,
    dropConnectRate: 0.2,
    poolPadding: 'zero',
    batchNormMomentum: 0.01,
    ...defined,
    compoundCoef: config.compoundCoef,
    numAnchors: 0,
  } as ResolvedEfficientDetConfig;
  resolved.numAnchors = resolved.anchorScales.length * resolved.anchorRatios.length;
  if (config.numAnchors !== undefined && config.numAnchors !== resolved.numAnchors) {
    throw new InvalidArgumentError(
      'config.numAnchors',
      `anchorScales.length x anchorRatios.length = ${resolved.numAnchors} (pass anchorScales / anchorRatios to change it)`,
      String(config.numAnchors),
    );
  }
  if (resolved.model !== undefined && !PRESET_NAMES.includes(resolved.model)) {
    throw new InvalidArgumentError('config.model', `a model name: ${PRESET_NAMES.join(', ')}`, JSON.stringify(resolved.model) ?? String(resolved.model));
  }
  if (!(POOL_PADDINGS as readonly unknown[]).includes(resolved.poolPadding)) {
    throw new InvalidArgumentError('config.poolPadding', `one of ${POOL_PADDINGS.map((p) => `'${p}'`).join(', ')}`, String(resolved.poolPadding));
  }
  const oneOf = (name: keyof ResolvedEfficientDetConfig, allowed: readonly unknown[]) => {
    if (!allowed.includes(resolved[name])) {
      throw new InvalidArgumentError(`config.${name}`, `one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`, String(resolved[name]));
    }
  };
  oneOf('backbone', ['efficientnet', 'efficientnet-lite']);
  oneOf('activation', ACTIVATIONS);
  oneOf('redundantBias', [true, false]);
  oneOf('normalization', ['imagenet', 'symmetric']);
  checkInteger('numClasses', resolved.numClasses, 1);
  checkInteger('backboneVariant', resolved.backboneVariant, 0, 7);
  checkInteger('fpnChannels', resolved.fpnChannels, 1);
  checkInteger('fpnLayers', resolved.fpnLayers, 1);
  checkInteger('headLayers', resolved.headLayers, 1);
  checkInteger('minLevel', resolved.minLevel, 3, 3);
  checkInteger('maxLevel', resolved.maxLevel, 6, 8);
  inputShape(resolved.inputSize, 'config.inputSize');
  const momentum = resolved.batchNormMomentum;
  if (typeof momentum !== 'number' || !(momentum > 0 && momentum <= 1)) {
    throw new InvalidArgumentError('config.batchNormMomentum', 'a number in (0, 1], like 0.01', String(momentum));
  }
  return resolved;
}
