// The shared D0 checkpoint and golden file: read completely, in file order, and written back byte for byte.
import { readFileSync } from 'node:fs';

import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import { readSafetensors, readSafetensorsHeader, writeSafetensorsSync } from '../src/index.js';
import { sharedPath } from '../../tensor/test/shared-fixtures.js';

/** Data area of a file, i.e. every tensor's bytes, without the header. */
const dataArea = (bytes: Uint8Array): Uint8Array => bytes.subarray(readSafetensorsHeader(bytes).dataStart);

describe('shared safetensors fixtures', () => {
  it('names a missing shared fixture', () => {
    expect(() => sharedPath('weights', 'no-such-file.safetensors')).toThrow(
      '../shared/weights/no-such-file.safetensors is missing: this test needs the shared fixtures beside the repository',
    );
  });

  it('reads the synthetic D0 checkpoint in keys.tsv order and writes it back bit for bit', () => {
    const source = 'efficientdet-d0-synthetic.safetensors';
    const bytes = readFileSync(sharedPath('weights', source));
    const keys = readFileSync(sharedPath('weights', 'efficientdet-d0.keys.tsv'), 'utf8')
      .trim()
      .split('\n')
      .slice(1) // column names
      .map((line) => line.split('\t'))
      .map(([name, dtype, shape]) => [name, dtype, JSON.parse(shape) as number[]]);

    const header = readSafetensorsHeader(bytes, { source });
    expect(header.entries).toHaveLength(676);
    expect(header.entries.map((entry) => [entry.name, entry.dtype, entry.shape])).toEqual(keys);
    expect(header.metadata).toMatchObject({ synthetic: 'true', trained: 'false', num_batches_tracked: 'dropped' });

    const before = tf.memory().numTensors;
    const { tensors, metadata } = readSafetensors(bytes, { source });
    expect(Object.keys(tensors)).toEqual(keys.map(([name]) => name));
    expect(Object.values(tensors).every((tensor) => tensor.dtype === 'float32')).toBe(true);

    // This file's writer appends __metadata__ after the tensors; with that placement the bytes are identical.
    expect(Buffer.compare(writeSafetensorsSync(tensors, { metadata, metadataPlacement: 'last' }), bytes)).toBe(0);
    // The default (metadata first, as Hugging Face writes it) changes only the header.
    const reordered = writeSafetensorsSync(tensors, { metadata });
    expect(reordered.length).toBe(bytes.length);
    expect(Buffer.compare(dataArea(reordered), dataArea(bytes))).toBe(0);

    tf.dispose(Object.values(tensors));
    expect(tf.memory().numTensors).toBe(before);
  });

  it('reads the 24 MB golden file and writes it back byte for byte', () => {
    const bytes = readFileSync(sharedPath('golden', 'd0-synthetic', '000000000136.golden.safetensors'));
    const { tensors, metadata } = readSafetensors(bytes);
    expect(tensors.classification.shape).toEqual([1, 49104, 90]);
    const firstAnchors = new Float32Array([-12, -12, 20, 20, -7.2, -18.4, 15.2, 26.4]);
    expect(tensors.anchors.dataSync().slice(0, 8)).toEqual(firstAnchors);
    expect(Buffer.compare(writeSafetensorsSync(tensors, { metadata, metadataPlacement: 'last' }), bytes)).toBe(0);
    tf.dispose(Object.values(tensors));
  });
});
