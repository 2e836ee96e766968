import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import * as tf from '@tensorflow/tfjs-core';
import { EfficientDet } from '@edet/model';
import { FileFormatError, StateDictError } from '@edet/tensor';
import { beforeAll, describe, expect, it } from 'vitest';

import { createDetector } from '../src/model.js';

// createDetector with --weights: what loads, what fails, and that a failed load frees the new model.

const folder = mkdtempSync(join(tmpdir(), 'edet-weights-'));
const threeClasses = join(folder, 'd0-3-classes.safetensors');

beforeAll(async () => {
  const model = new EfficientDet({ compoundCoef: 0, numClasses: 3, seed: 1 });
  try {
    writeFileSync(threeClasses, await model.saveSafetensors());
  } finally {
    model.dispose();
  }
});

describe('createDetector with a weights file', () => {
  it('loads a matching checkpoint without the untrained notice', async () => {
    const notices: string[] = [];
    const model = await createDetector({ compoundCoef: 0, numClasses: 3, weightsFile: threeClasses, notice: (line) => notices.push(line) });
    model.dispose();
    expect(notices).toEqual([]);
  });

  it('rejects a checkpoint for another number of classes, leaving no tensor behind', async () => {
    const before = tf.memory().numTensors;
    await expect(createDetector({ compoundCoef: 0, numClasses: 90, weightsFile: threeClasses, notice: () => {} })).rejects.toThrow(StateDictError);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects a corrupt file and a missing one with the file name', async () => {
    const corrupt = join(folder, 'corrupt.safetensors');
    writeFileSync(corrupt, new Uint8Array([200, 0, 0, 0, 0, 0, 0, 0, 123, 34]));
    const attempt = createDetector({ compoundCoef: 0, numClasses: 90, weightsFile: corrupt, notice: () => {} });
    await expect(attempt).rejects.toThrow(FileFormatError);
    await expect(attempt).rejects.toThrow(/^.*corrupt\.safetensors: /);
    await expect(createDetector({ compoundCoef: 0, numClasses: 90, weightsFile: join(folder, 'none.safetensors'), notice: () => {} })).rejects.toThrow(
      /none\.safetensors: no such file$/,
    );
  });
});
