// The bundled model package: what a user's script (and the CLI, and the demo) loads, and that it loads.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import * as tf from '@tensorflow/tfjs-core';
import { createModelFromManifest, checkModelManifest, parseCheckpoint } from '@edet/model';
import { describe, expect, it } from 'vitest';

import { BCCD_D0_LABELS, BCCD_D0_MANIFEST, BCCD_D0_MANIFEST_URL, BCCD_D0_WEIGHTS_URL } from '../src/index.js';
import { BCCD_D0_DIRECTORY, BCCD_D0_WEIGHTS_FILE, readBccdD0Weights } from '../src/node.js';

const packageJson = JSON.parse(readFileSync(join(BCCD_D0_DIRECTORY, 'package.json'), 'utf8')) as { files: string[] };

describe('@edet/bccd-d0', () => {
  it('has the manifest of model.json, checked, with the BCCD labels', () => {
    const manifest = JSON.parse(readFileSync(fileURLToPath(BCCD_D0_MANIFEST_URL), 'utf8')) as unknown;
    expect(BCCD_D0_MANIFEST).toEqual(checkModelManifest(manifest, 'model.json'));
    expect(BCCD_D0_MANIFEST).toMatchObject({ weights: 'weights.safetensors', compoundCoef: 0, inputSize: 512 });
    expect(BCCD_D0_LABELS).toEqual(['RBC', 'WBC', 'Platelets']);
  });

  it('finds its files beside the code and ships them', () => {
    expect(fileURLToPath(BCCD_D0_WEIGHTS_URL)).toBe(BCCD_D0_WEIGHTS_FILE);
    expect(BCCD_D0_WEIGHTS_FILE).toBe(join(BCCD_D0_DIRECTORY, BCCD_D0_MANIFEST.weights));
    for (const name of ['model.json', 'weights.safetensors', 'README.md']) {
      expect(existsSync(join(BCCD_D0_DIRECTORY, name)), name).toBe(true);
      expect(packageJson.files).toContain(name);
    }
  });

  it('reads the weights the manifest was written with, which load into the model it describes', async () => {
    const bytes = await readBccdD0Weights();
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(BCCD_D0_MANIFEST.conversion?.sha256);
    const weights = parseCheckpoint(bytes, { source: BCCD_D0_MANIFEST.weights });
    expect(JSON.parse(weights.header.metadata.classes)).toEqual(BCCD_D0_LABELS);
    const before = tf.memory().numTensors;
    const model = createModelFromManifest(BCCD_D0_MANIFEST, weights);
    expect(model.config).toMatchObject({ compoundCoef: 0, numClasses: 3, inputSize: 512 });
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('createModelFromManifest leaves nothing behind when the weights do not fit', async () => {
    const before = tf.memory().numTensors;
    const otherClasses = { ...BCCD_D0_MANIFEST, labels: ['a', 'b'] };
    expect(() => createModelFromManifest(otherClasses, parseCheckpoint(readFileSync(BCCD_D0_WEIGHTS_FILE)))).toThrow(/the file has 3 classes, the model 2/);
    expect(tf.memory().numTensors).toBe(before);
  });
});
