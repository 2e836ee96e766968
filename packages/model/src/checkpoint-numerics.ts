import { FileFormatError, POOL_PADDINGS, type PoolPadding } from '@edet/tensor';

import type { KeyLayout } from './key-layouts.js';

/** The metadata key under which a saved checkpoint records its max-pool padding. */
export const POOL_PADDING_METADATA_KEY = 'poolPadding';

/**
 * The max-pool padding each key layout's weights were trained with: zylo117's pads with zeros, effdet's
 * (rwightman's ports of the official TF weights and effdet training runs) with -inf.
 */
export const LAYOUT_POOL_PADDING: Readonly<Record<KeyLayout, PoolPadding>> = { zylo117: 'zero', rwightman: 'neg-inf' };

/**
 * The max-pool padding a checkpoint's weights expect: the file's `poolPadding` metadata when it has one
 * (edet writes it), else its key layout's (`LAYOUT_POOL_PADDING`).
 * @throws FileFormatError naming `source` when the metadata holds something else than `zero` or `neg-inf`
 */
export function checkpointPoolPadding(layout: KeyLayout, metadata: Record<string, string>, source: string): PoolPadding {
  const recorded = metadata[POOL_PADDING_METADATA_KEY];
  if (recorded === undefined) return LAYOUT_POOL_PADDING[layout];
  if (!(POOL_PADDINGS as readonly string[]).includes(recorded)) {
    throw new FileFormatError(source, `metadata "${POOL_PADDING_METADATA_KEY}" must be ${POOL_PADDINGS.join(' or ')}, got ${JSON.stringify(recorded)}`);
  }
  return recorded as PoolPadding;
}

/** A model whose numerics follow the checkpoint loaded into it (an `EfficientDet`). */
export interface FollowsCheckpointNumerics {
  /** The max-pool padding in effect. */
  readonly poolPadding: PoolPadding;
  /** Takes the checkpoint's padding unless the model's configuration fixed one. */
  followCheckpointPoolPadding(padding: PoolPadding): void;
}

/** Whether `model` follows its checkpoints' numerics. */
export function followsCheckpointNumerics(model: object): model is FollowsCheckpointNumerics {
  return typeof (model as Partial<FollowsCheckpointNumerics>).followCheckpointPoolPadding === 'function';
}

/** One line on the max-pool padding, for banners: `zero (zylo117)` or `-inf (official TF, effdet)`. */
export function describePoolPadding(padding: PoolPadding): string {
  return padding === 'zero' ? 'zero (zylo117)' : '-inf (official TF, effdet)';
}
