import { InvalidArgumentError } from '@edet/tensor';

import type { EfficientDetConfig } from './config.js';
import { LITE_NAMES, type LiteName, liteDetPreset } from './lite-presets.js';
import { D7X } from './presets.js';

const OFFICIAL_D = ['d0', 'd1', 'd2', 'd3', 'd4', 'd5', 'd6', 'd7', 'd7x'] as const;

/**
 * Every model name `presetConfig` knows:
 * - effdet's ports of the official TF models (TF numerics: -inf max-pool padding): `tf_efficientdet_d0` ..
 *   `tf_efficientdet_d7`, `tf_efficientdet_d7x`, `tf_efficientdet_lite0` .. `tf_efficientdet_lite4`,
 *   `tf_efficientdet_lite3x`;
 * - zylo117's (zero max-pool padding): `efficientdet-d0` .. `efficientdet-d8` (zylo117's d8 is D7x).
 */
export const PRESET_NAMES: readonly string[] = [
  ...OFFICIAL_D.map((d) => `tf_efficientdet_${d}`),
  ...LITE_NAMES.map((lite) => `tf_efficientdet_${lite}`),
  ...Array.from({ length: D7X + 1 }, (_, coef) => `efficientdet-d${coef}`),
];

/** The settings a name fixes; `compoundCoef` is the D variant's, or for Lite the backbone's B variant. */
function namedConfig(name: string): EfficientDetConfig | null {
  const official = /^tf_efficientdet_(.+)$/.exec(name)?.[1];
  if (official !== undefined) {
    const coef = (OFFICIAL_D as readonly string[]).indexOf(official);
    if (coef >= 0) return { compoundCoef: coef, poolPadding: 'neg-inf' };
    if ((LITE_NAMES as readonly string[]).includes(official)) {
      const preset = liteDetPreset(official as LiteName);
      return { ...preset, compoundCoef: preset.backboneVariant, poolPadding: 'neg-inf' };
    }
    return null;
  }
  const zylo117 = /^efficientdet-d(\d)$/.exec(name)?.[1];
  if (zylo117 !== undefined && Number(zylo117) <= D7X) return { compoundCoef: Number(zylo117), poolPadding: 'zero' };
  return null;
}

/**
 * The configuration of a model by its published name (see `PRESET_NAMES`), with `overrides` applied on top
 * (`numClasses`, `inputSize`, `poolPadding`, ...): `new EfficientDet(presetConfig('tf_efficientdet_lite0',
 * { numClasses: 3 }))`. The names fix the numerics their checkpoints were trained with (`poolPadding`);
 * an override changes it. `{ compoundCoef: n }` keeps working for the D family. The result's `model` is
 * `name`, so that saved weights record it (`geometryMetadata`).
 * @throws InvalidArgumentError naming `name` and the accepted names for an unknown name, or naming
 *   `overrides.model` when it names another model
 */
export function presetConfig(name: string, overrides: Partial<EfficientDetConfig> = {}): EfficientDetConfig {
  const config = typeof name === 'string' ? namedConfig(name) : null;
  if (config === null) {
    throw new InvalidArgumentError('name', `a model name: ${PRESET_NAMES.join(', ')}`, JSON.stringify(name) ?? String(name));
  }
  if (overrides === null || typeof overrides !== 'object') {
    throw new InvalidArgumentError('overrides', 'an object of config fields, like { numClasses: 3 }', String(overrides));
  }
  const defined = Object.fromEntries(Object.entries(overrides).filter(([, value]) => value !== undefined));
  if (defined.model !== undefined && defined.model !== name) {
    throw new InvalidArgumentError('overrides.model', `${JSON.stringify(name)} (the name given) or nothing`, JSON.stringify(defined.model) ?? String(defined.model));
  }
  return { ...config, ...defined, model: name } as EfficientDetConfig;
}
