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

const identity: KeyLayoutAdapter = { fromFile: (state) => state, toFile: (state) => state };

/** Adapters by layout. */
export const keyLayouts: Record<KeyLayout, KeyLayoutAdapter> = {
  zylo117: identity,
  /** rwightman/efficientdet-pytorch `tf_efficientdet_d*` (see CHECKPOINTS.md). */
  rwightman: rwightmanLayout,
};

/** Guesses the layout of a file from its keys, or null when none fits. */
export function detectKeyLayout(keys: readonly string[]): KeyLayout | null {
  if (keys.some((key) => key.startsWith('bifpn.') || key.startsWith('backbone_net.'))) return 'zylo117';
  if (keys.some((key) => key.startsWith('fpn.') || key.startsWith('class_net.'))) return 'rwightman';
  return null;
}
