// What a checkpoint says of itself in its metadata, read from the header (formerly the trainer's and the
// demo's own header readers, now @edet/safetensors' readSafetensorsMetadata).
import { readSafetensorsMetadata, writeSafetensorsSync } from '@edet/safetensors';
import { describe, expect, it } from 'vitest';

import { isMarkedUntrained } from '@edet/model';

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
