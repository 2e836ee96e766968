/** Test-only access to the golden outputs in `../shared/golden/d0-synthetic/` for image 000000000136. */
import { readFileSync } from 'node:fs';

import * as tf from '@tensorflow/tfjs-core';

import { readSafetensors } from '@edet/safetensors';

import { sharedPath } from '../../../tensor/test/shared-fixtures.js';

/** Path of a file in the d0-synthetic golden folder; throws a clear error when `../shared` is missing. */
export function goldenPath(file: string): string {
  return sharedPath('golden', 'd0-synthetic', file);
}

/**
 * The named tensors of `000000000136.golden.safetensors`, as new tensors the caller disposes (the file's
 * other tensors are disposed here).
 */
export function loadGolden<Name extends string>(names: readonly Name[]): Record<Name, tf.Tensor> {
  const path = goldenPath('000000000136.golden.safetensors');
  const { tensors } = readSafetensors(readFileSync(path), { source: path });
  const wanted = new Set<string>(names);
  tf.dispose(Object.entries(tensors).filter(([name]) => !wanted.has(name)).map(([, tensor]) => tensor));
  for (const name of names) if (!(name in tensors)) throw new Error(`${path}: no tensor '${name}'`);
  return tensors as Record<Name, tf.Tensor>;
}
