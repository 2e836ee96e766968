import type { Module, StateDict } from '@edet/tensor';

import { rwightmanLayout } from './rwightman-layout.js';

export { type RwightmanKeyMap, type RwightmanKeyPair, rwightmanKeyMap, rwightmanLayout } from './rwightman-layout.js';

/** Checkpoint key layouts edet reads and writes. */
export type KeyLayout = 'zylo117' | 'rwightman';

/** Converts a state dict between edet's own keys (the official zylo117 ones) and a file's keys. */
export interface KeyLayoutAdapter {
  /** File keys -> model keys. May return the same tensors; new ones are disposed by the caller. */
  fromFile(state: StateDict, model: Module): StateDict;
  /** Model keys -> file keys. May return the same tensors; new ones are disposed by the caller. */
  toFile(state: StateDict, model: Module): StateDict;
}

/**
 * zylo117 keys are edet's own. A PyTorch state dict also holds BN `num_batches_tracked` counters (a
 * training-only statistic, as `torch.save(model.state_dict())` writes them): accepted and ignored, like the
 * rwightman layout does, when the model has that BN's `running_var`.
 */
const zylo117Layout: KeyLayoutAdapter = {
  fromFile(state, model) {
    const counters = Object.keys(state).filter((key) => key.endsWith('.num_batches_tracked'));
    if (counters.length === 0) return state;
    const names = new Set(model.namedEntries().map((entry) => entry.name));
    const ignored = new Set(counters.filter((key) => names.has(`${key.slice(0, -'num_batches_tracked'.length)}running_var`)));
    return Object.fromEntries(Object.entries(state).filter(([key]) => !ignored.has(key)));
  },
  toFile: (state) => state,
};

/** Adapters by layout. */
export const keyLayouts: Record<KeyLayout, KeyLayoutAdapter> = {
  zylo117: zylo117Layout,
  /** rwightman/efficientdet-pytorch `tf_efficientdet_d*` (see CHECKPOINTS.md). */
  rwightman: rwightmanLayout,
};

/** Guesses the layout of a file from its keys, or null when none fits. */
export function detectKeyLayout(keys: readonly string[]): KeyLayout | null {
  if (keys.some((key) => key.startsWith('bifpn.') || key.startsWith('backbone_net.'))) return 'zylo117';
  if (keys.some((key) => key.startsWith('fpn.') || key.startsWith('class_net.'))) return 'rwightman';
  return null;
}
