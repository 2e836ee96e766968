import { InvalidArgumentError } from 'commander';
import { type EfficientDet, type EfficientDetConfig, PRESET_NAMES, presetConfig } from '@edet/model';

import { CliError } from './errors.js';

// How the command line names a network: `--model NAME` (a published name, `PRESET_NAMES`) or `--coef N`
// (EfficientDet-DN, with zylo117's numerics unless the weights say otherwise, as before names existed).

/** The names, in short, for help texts (`PRESET_NAMES` has them in full; an unknown name's error lists them). */
export const MODEL_NAMES_HINT = 'tf_efficientdet_d0..d7, tf_efficientdet_d7x, tf_efficientdet_lite0..lite4, tf_efficientdet_lite3x, efficientdet-d0..d8';

/** The architecture a command builds: a published name, or a D variant by number. */
export type Architecture = { model: string; compoundCoef?: undefined } | { model?: undefined; compoundCoef: number };

/** What the user asked for (`--model`, `--coef`) and what the weights record (metadata or manifest). */
export interface ArchitectureSources {
  model?: string;
  compoundCoef?: number;
  recorded?: { model?: string; compoundCoef?: number };
}

/** Commander parser of `--model`: a published name. */
export function parseModelName(value: string): string {
  if (!PRESET_NAMES.includes(value)) throw new InvalidArgumentError(`expected a model name: ${PRESET_NAMES.join(', ')}.`);
  return value;
}

/** Commander parser of a repeatable, comma-separated `--model`: the names so far plus these. */
export function collectModelNames(value: string, previous: string[] | undefined): string[] {
  const names = value.split(',').map((name) => name.trim());
  return [...(previous ?? []), ...names.map(parseModelName)];
}

/** The D variant a name means (`efficientdet-d3`, `tf_efficientdet_d3` -> 3), or `undefined` for Lite. */
export function dVariantOf(model: string): number | undefined {
  return /^(tf_efficientdet_d|efficientdet-d)/.test(model) ? presetConfig(model).compoundCoef : undefined;
}

/**
 * Decides the architecture: `--model` wins, then `--coef`, then the weights' recorded `model`, then their
 * `compound_coef`, then D0. `--coef N` with a recorded name of the same D variant keeps the name.
 * @throws CliError when `--model` and `--coef` name different networks (`--coef` means a D variant)
 */
export function chooseArchitecture({ model, compoundCoef, recorded = {} }: ArchitectureSources): Architecture {
  if (model !== undefined) {
    if (compoundCoef !== undefined && dVariantOf(model) !== compoundCoef) {
      throw new CliError(
        `--model ${model} and --coef ${compoundCoef} disagree: --coef ${compoundCoef} means EfficientDet-D${compoundCoef} (efficientdet-d${compoundCoef}); give only one of them`,
      );
    }
    return { model };
  }
  const named = recorded.model;
  if (compoundCoef !== undefined) return named !== undefined && dVariantOf(named) === compoundCoef ? { model: named } : { compoundCoef };
  if (named !== undefined) return { model: named };
  return { compoundCoef: recorded.compoundCoef ?? 0 };
}

/**
 * The model configuration of an architecture with `settings` (`numClasses`, `inputSize`, `seed`) on top:
 * `presetConfig(name)` for a name, `{ compoundCoef }` for a D variant (whose max-pool padding then follows
 * the loaded weights).
 */
export function architectureConfig(architecture: Architecture, settings: Partial<EfficientDetConfig> = {}): EfficientDetConfig {
  const defined = Object.fromEntries(Object.entries(settings).filter(([, value]) => value !== undefined));
  if (architecture.model !== undefined) return presetConfig(architecture.model, defined);
  return { compoundCoef: architecture.compoundCoef, ...defined };
}

/** How a command names an architecture to its user: the name, or `D3`. */
export function describeArchitecture(architecture: Architecture): string {
  return architecture.model ?? `D${architecture.compoundCoef}`;
}

/**
 * The published name of a built model: its config's, else the D variant's name for the numerics it runs with
 * (`tf_efficientdet_dN` with the official -inf max-pool padding, `efficientdet-dN` with zylo117's zeros).
 */
export function modelNameOf(model: EfficientDet): string {
  const { model: name, compoundCoef, poolPadding } = model.config;
  if (name !== undefined) return name;
  if (poolPadding === 'neg-inf') return compoundCoef === 8 ? 'tf_efficientdet_d7x' : `tf_efficientdet_d${compoundCoef}`;
  return `efficientdet-d${compoundCoef}`;
}
