import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import * as tf from '@tensorflow/tfjs-core';

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
 * Minimal safetensors reader for tests (F32 only): u64 header length, JSON header, raw little-endian data.
 * Returns the tensors whose names pass `filter`, in PyTorch layout; the caller disposes them.
 */
export function readSafetensors(relative: string, filter: (name: string) => boolean = () => true): Record<string, tf.Tensor> {
  const bytes = readFileSync(sharedFile(relative));
  const headerLength = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8')) as Record<
    string,
    { dtype: string; shape: number[]; data_offsets: [number, number] }
  >;
  const dataStart = 8 + headerLength;
  const tensors: Record<string, tf.Tensor> = {};
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__' || !filter(name)) continue;
    if (entry.dtype !== 'F32') throw new Error(`${relative}: ${name} has dtype ${entry.dtype}, expected F32`);
    const [begin, end] = entry.data_offsets;
    // Copy into an aligned buffer: the Node Buffer's offset need not be a multiple of 4.
    const values = new Float32Array(bytes.buffer.slice(bytes.byteOffset + dataStart + begin, bytes.byteOffset + dataStart + end));
    tensors[name] = tf.tensor(values, entry.shape, 'float32');
  }
  return tensors;
}
