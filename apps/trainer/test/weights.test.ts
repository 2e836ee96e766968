import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import * as tf from '@tensorflow/tfjs-core';
import { COCO90_LABELS, EfficientDet } from '@edet/model';
import { FileFormatError, StateDictError } from '@edet/tensor';
import { beforeAll, describe, expect, it } from 'vitest';

import { chooseModel, createChosenDetector, createDetector } from '../src/model.js';

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

describe('chooseModel with a weights file that names no classes', () => {
  it('takes the class count from the class head: class 0, 1, 2 for a 3-class file, COCO names for 90', async () => {
    // saveSafetensors writes no `classes` metadata, as a PyTorch state dict has none.
    const three = await chooseModel({ weightsFile: threeClasses });
    expect(three.classNames).toEqual(['class 0', 'class 1', 'class 2']);
    const model = await createChosenDetector(three, () => {});
    expect(model.config.numClasses).toBe(3);
    model.dispose();

    const coco = new EfficientDet({ compoundCoef: 0, numClasses: 90, seed: 1 });
    const ninety = join(folder, 'd0-90-classes.safetensors');
    try {
      writeFileSync(ninety, await coco.saveSafetensors());
    } finally {
      coco.dispose();
    }
    const official = await chooseModel({ weightsFile: ninety });
    expect(official.classNames).toEqual([...COCO90_LABELS]);
    // Asked-for names still win.
    expect((await chooseModel({ weightsFile: threeClasses, classNames: ['a', 'b', 'c'] })).classNames).toEqual(['a', 'b', 'c']);
  });
});
