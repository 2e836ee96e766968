import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import * as tf from '@tensorflow/tfjs-core';
import { readSafetensors as readSafetensorsFile } from '@edet/safetensors';

/** `../shared` relative to the repository root: the project's read-only weights, key lists and goldens. */
export const SHARED_DIR = resolve(import.meta.dirname, '../../../../../shared');

/** Absolute path of `relative` inside ../shared; fails with a message that says what is missing and why. */
export function sharedFile(relative: string): string {
  const path = join(SHARED_DIR, relative);
  if (!existsSync(path)) {
    throw new Error(
      `this test needs ../shared (the project's shared data folder next to the repository, expected at ${SHARED_DIR}); ` +
        `missing file: ${path}`,
    );
  }
  return path;
}

/** One line of a `*.keys.tsv` file: tensor name and checkpoint (PyTorch) shape. */
export interface KeyShape {
  name: string;
  shape: number[];
}

/** Reads a `name<TAB>dtype<TAB>[shape]` key list (header line skipped), in file order. */
export function readKeyList(relative: string): KeyShape[] {
  const lines = readFileSync(sharedFile(relative), 'utf8').split('\n').slice(1).filter((line) => line.trim() !== '');
  return lines.map((line) => {
    const [name, , shape] = line.split('\t');
    return { name, shape: JSON.parse(shape) as number[] };
  });
}

/**
 * The tensors of a shared safetensors file whose names pass `filter` (read with `@edet/safetensors`), in
 * PyTorch layout; the caller disposes them. The others are freed at once.
 */
export function readSafetensors(relative: string, filter: (name: string) => boolean = () => true): Record<string, tf.Tensor> {
  const { tensors } = readSafetensorsFile(new Uint8Array(readFileSync(sharedFile(relative))), { source: relative });
  const kept = Object.entries(tensors).filter(([name]) => filter(name));
  tf.dispose(Object.entries(tensors).filter(([name]) => !filter(name)).map(([, tensor]) => tensor));
  return Object.fromEntries(kept);
}
