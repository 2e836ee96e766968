import { PRESET_NAMES } from '@edet/model';

/** The picker's value for the bundled model (or its untrained stand-in when none is deployed). */
export const BUNDLED = 'bundled';

/** The model the URL asks for (`?model=tf_efficientdet_lite0`), or `undefined` for the bundled model, none or an unknown name. */
export function requestedModel(search: string): string | undefined {
  const name = new URLSearchParams(search).get('model');
  return PRESET_NAMES.find((preset) => preset === name);
}

/**
 * A published name as people say it: `tf_efficientdet_lite0` -> `EfficientDet-Lite0`,
 * `tf_efficientdet_d7x` -> `EfficientDet-D7x`, `efficientdet-d0` -> `EfficientDet-D0, zylo117`
 * (zylo117's `d8` is D7x).
 */
export function modelTitle(name: string): string {
  const official = /^tf_efficientdet_(.+)$/.exec(name)?.[1];
  if (official !== undefined) return `EfficientDet-${official[0].toUpperCase()}${official.slice(1)}`;
  const zylo117 = /^efficientdet-d(\d)$/.exec(name)?.[1];
  if (zylo117 !== undefined) return `EfficientDet-${zylo117 === '8' ? 'D7x' : `D${zylo117}`}, zylo117`;
  return name;
}

/** The picker's entries: the bundled model first, then every published name (`PRESET_NAMES`) with its title. */
export function modelOptions(): { value: string; label: string }[] {
  return [{ value: BUNDLED, label: 'bundled model' }, ...PRESET_NAMES.map((name) => ({ value: name, label: `${modelTitle(name)} (${name})` }))];
}

/** What the picker's bundled entry says: the bundled model's name when it is deployed, else what stands in. */
export function bundledLabel(bundled: string | undefined): string {
  return bundled === undefined ? 'no bundled model: untrained D0 stand-in' : `bundled ${bundled}`;
}
