// What a checkpoint says of itself in its metadata, read from the header (formerly the trainer's and the
// demo's own header readers, now @edet/safetensors' readSafetensorsMetadata).
import * as tf from '@tensorflow/tfjs-core';
import { readSafetensorsMetadata, writeSafetensorsSync } from '@edet/safetensors';
import { describe, expect, it } from 'vitest';

import { checkpointClassNames, isMarkedUntrained, parseCheckpoint } from '@edet/model';
import { FileFormatError } from '@edet/tensor';

/** A tensor-less safetensors file with this header. */
function file(header: { __metadata__?: Record<string, string> }): Uint8Array {
  return writeSafetensorsSync({}, { metadata: header.__metadata__ });
}

describe('isMarkedUntrained', () => {
  it('reads the metadata strings and spots untrained checkpoints', () => {
    const metadata = readSafetensorsMetadata(file({ __metadata__: { synthetic: 'true', trained: 'false' } }));
    expect(metadata).toEqual({ synthetic: 'true', trained: 'false' });
    expect(isMarkedUntrained(metadata)).toBe(true);
    expect(isMarkedUntrained({ trained: 'false' })).toBe(true);
    expect(isMarkedUntrained({ synthetic: 'true' })).toBe(true);
    expect(isMarkedUntrained(readSafetensorsMetadata(file({ __metadata__: { format: 'pt' } })))).toBe(false);
  });

  it('counts a file without metadata as trained', () => {
    expect(readSafetensorsMetadata(file({}))).toEqual({});
    expect(isMarkedUntrained(readSafetensorsMetadata(file({})))).toBe(false);
    expect(isMarkedUntrained(undefined)).toBe(false);
  });
});

describe('metadata fields edet reads are checked, each error naming the field', () => {
  it('isMarkedUntrained refuses trained or synthetic that are not "true" or "false"', () => {
    expect(() => isMarkedUntrained({ trained: 'maybe' }, 'w.safetensors')).toThrow(FileFormatError);
    expect(() => isMarkedUntrained({ trained: 'maybe' }, 'w.safetensors')).toThrow('w.safetensors: metadata "trained" must be "true" or "false", got "maybe"');
    expect(() => isMarkedUntrained({ synthetic: '1' })).toThrow('checkpoint: metadata "synthetic" must be "true" or "false", got "1"');
    expect(isMarkedUntrained({ trained: 'true', synthetic: 'false' })).toBe(false);
  });

  it('checkpointClassNames reads a JSON array of strings that fits the class head', () => {
    const withClasses = (classes: string | undefined, outputs = 27) =>
      parseCheckpoint(
        tf.tidy(() =>
          writeSafetensorsSync(
            { 'classifier.header.pointwise_conv.conv.bias': tf.zeros([outputs]), 'bifpn.0.w': tf.zeros([1]) },
            { metadata: classes === undefined ? {} : { classes } },
          ),
        ),
        { source: 'w.safetensors' },
      );
    expect(checkpointClassNames(withClasses('["RBC","WBC",""]'))).toEqual(['RBC', 'WBC', '']);
    expect(checkpointClassNames(withClasses(undefined))).toBeUndefined();
    for (const [classes, message] of [
      ['RBC\nWBC', 'w.safetensors: metadata "classes" must be a JSON array of class-name strings, got "RBC\\nWBC"'],
      ['[1,2,3]', 'metadata "classes" must be a JSON array of class-name strings, got "[1,2,3]"'],
      ['{"a":1}', 'metadata "classes" must be a JSON array of class-name strings'],
      ['[]', 'metadata "classes" is an empty list'],
      ['["a","b"]', 'metadata "classes" names 2 classes, but the class head has 3'],
    ]) {
      expect(() => checkpointClassNames(withClasses(classes)), classes).toThrow(FileFormatError);
      expect(() => checkpointClassNames(withClasses(classes)), classes).toThrow(message);
    }
  });
});
