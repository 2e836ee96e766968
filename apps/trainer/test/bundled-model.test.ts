import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import * as tf from '@tensorflow/tfjs-core';
import { decodeImage } from '@edet/data/node';
import { EfficientDet, checkModelManifest, letterboxImage, type ModelManifest } from '@edet/model';
import { readSafetensors, readSafetensorsHeader } from '@edet/safetensors';
import { FileFormatError } from '@edet/tensor';
import { beforeAll, describe, expect, it } from 'vitest';

import { BUNDLED_WEIGHTS_FILE, F16_TOLERANCE, bundleModel } from '../src/bundle-model.js';
import { BUNDLED_MODEL_DIRECTORY, readBundledModel } from '../src/bundled-model.js';
import { readInputFile } from '../src/files.js';
import { SAMPLES_DIRECTORY } from '../src/samples.js';

// The bundled model (the @edet/bccd-d0 package, packages/bccd-d0) and the conversion that makes it (scripts/bundle-model.mjs).
// Everything asserted here holds for any BCCD weights the script converts: the layout, the labels, the
// F16 precision, and that the F16 copy computes what its F32 source does within F16_TOLERANCE.

const BCCD_LABELS = ['RBC', 'WBC', 'Platelets'];
const checkImages = ['BloodImage_00000.jpg', 'BloodImage_00004.jpg'].map((name) => join(SAMPLES_DIRECTORY, name));
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** The largest output differences of two models on one image: [scores, regression]. */
async function outputDifferences(a: EfficientDet, b: EfficientDet, file: string): Promise<[number, number]> {
  const { image } = await decodeImage(await readInputFile(file), file);
  const { input } = letterboxImage(image, a.config.inputSize);
  const outputs = [...a.forward(input, { channelsLast: true }), ...b.forward(input, { channelsLast: true })];
  const differences = tf.tidy(() => [tf.max(tf.abs(tf.sub(outputs[0], outputs[3]))), tf.max(tf.abs(tf.sub(outputs[1], outputs[4])))]);
  const values = differences.map((difference) => difference.dataSync()[0]) as [number, number];
  tf.dispose([input, ...outputs, ...differences]);
  return values;
}

describe('the bundled model (packages/bccd-d0)', () => {
  it('has a model.json that both the CLI and the demo read: D0 at its training size, the BCCD labels, F16 or F32 weights', async () => {
    const bundled = await readBundledModel();
    expect(bundled).toBeDefined();
    const { manifest, weightsFile } = bundled!;
    expect(manifest).toMatchObject({ weights: 'weights.safetensors', compoundCoef: 0, labels: BCCD_LABELS });
    expect(['F16', 'F32']).toContain(manifest.dtype);
    expect([384, 512]).toContain(manifest.inputSize);
    expect(manifest.trained ?? true).toBe(true);
    expect(weightsFile).toBe(join(BUNDLED_MODEL_DIRECTORY, 'weights.safetensors'));
    // Provenance fields exist (null until filled in by the bundling script).
    for (const key of ['trainingCommand', 'dataset', 'evaluation'] as const) expect(manifest).toHaveProperty(key);
    expect(existsSync(join(BUNDLED_MODEL_DIRECTORY, 'README.md'))).toBe(true);
  });

  it('holds weights of the manifest\'s dtype that name their classes, written together with model.json', async () => {
    const { manifest, weightsFile } = (await readBundledModel())!;
    const bytes = new Uint8Array(readFileSync(weightsFile));
    const header = readSafetensorsHeader(bytes, { source: weightsFile });
    expect(new Set(header.entries.map((entry) => entry.dtype))).toEqual(new Set([manifest.dtype]));
    expect(JSON.parse(header.metadata.classes)).toEqual(manifest.labels);
    expect(header.metadata.name).toBe(manifest.name);
    // The manifest records the very bytes it was written with: a weights file swapped in by hand fails here.
    expect(manifest.conversion?.sha256).toBe(sha256(bytes));
    const conversion = manifest.conversion as { maxScoreDifference: number; maxRegressionDifference: number };
    expect(conversion.maxScoreDifference).toBeLessThanOrEqual(F16_TOLERANCE.score);
    expect(conversion.maxRegressionDifference).toBeLessThanOrEqual(F16_TOLERANCE.regression);
  });

  it('loads into a D0 with 3 classes and leaves no tensor behind', async () => {
    const { manifest, weightsFile } = (await readBundledModel())!;
    const before = tf.memory().numTensors;
    const model = new EfficientDet({ compoundCoef: manifest.compoundCoef, numClasses: manifest.labels.length, inputSize: manifest.inputSize });
    expect(model.loadSafetensors(new Uint8Array(readFileSync(weightsFile)))).toEqual({ layout: 'zylo117', poolPadding: 'zero' });
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('checkModelManifest', () => {
  const valid = { name: 'm', weights: 'w.safetensors', compoundCoef: 0, inputSize: 512, labels: ['a'] };

  it('takes the demo manifest fields and names the first bad one', () => {
    expect(checkModelManifest(valid, 'model.json')).toEqual(valid);
    expect(() => checkModelManifest([], 'model.json')).toThrow(new FileFormatError('model.json', 'expected a JSON object'));
    expect(() => checkModelManifest({ ...valid, labels: [] }, 'model.json')).toThrow(/"labels" must be a non-empty array/);
    expect(() => checkModelManifest({ ...valid, inputSize: 0 }, 'model.json')).toThrow(/"inputSize" must be a positive integer \(square side\) or \[height, width\]/);
    expect(() => checkModelManifest({ ...valid, inputSize: [384] }, 'model.json')).toThrow(/"inputSize" must be a positive integer/);
    expect(checkModelManifest({ ...valid, inputSize: [384, 640] }, 'model.json').inputSize).toEqual([384, 640]);
    expect(() => checkModelManifest({ ...valid, compoundCoef: '0' }, 'model.json')).toThrow(/"compoundCoef"/);
  });

  it('reports a broken model.json with its path, and no model.json as none', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'edet-manifest-'));
    expect(await readBundledModel(folder)).toBeUndefined();
    writeFileSync(join(folder, 'model.json'), '{"name": ');
    await expect(readBundledModel(folder)).rejects.toThrow(/model\.json: invalid JSON/);
  });
});

describe('bundleModel (scripts/bundle-model.mjs)', () => {
  let run: string;
  let sourceBytes: Uint8Array;

  // A run folder as `edet train` leaves it: F32 weights with its metadata, classes.json, checkpoint.json.
  beforeAll(async () => {
    run = mkdtempSync(join(tmpdir(), 'edet-run-'));
    const model = new EfficientDet({ compoundCoef: 0, numClasses: 3, seed: 5 });
    try {
      sourceBytes = await model.saveSafetensors({ metadata: { classes: JSON.stringify(BCCD_LABELS), edet_train: 'epoch 4 step 292 (EMA weights)' } });
    } finally {
      model.dispose();
    }
    writeFileSync(join(run, 'best.safetensors'), sourceBytes);
    writeFileSync(join(run, 'classes.json'), `${JSON.stringify(BCCD_LABELS)}\n`);
    writeFileSync(join(run, 'checkpoint.json'), JSON.stringify({ config: { data: '/somewhere/bccd', coef: 0, size: 512, epochs: 4 }, bestMap: 0.25 }));
  });

  it('writes F16 weights and model.json, and the F16 copy computes what the F32 source does', async () => {
    const out = mkdtempSync(join(tmpdir(), 'edet-bundle-'));
    const lines: string[] = [];
    const before = tf.memory().numTensors;
    const result = await bundleModel({ run, out, name: 'test D0', checkImages, log: (line) => lines.push(line) });
    expect(tf.memory().numTensors).toBe(before);

    const manifest = JSON.parse(readFileSync(join(out, 'model.json'), 'utf8')) as ModelManifest;
    expect(manifest).toEqual(result.manifest);
    expect(manifest).toMatchObject({
      name: 'test D0',
      weights: BUNDLED_WEIGHTS_FILE,
      compoundCoef: 0,
      inputSize: 512,
      labels: BCCD_LABELS,
      dtype: 'F16',
      trainingCommand: null,
      dataset: null,
      evaluation: null,
      source: { file: 'best.safetensors', sha256: sha256(sourceBytes), checkpoint: 'epoch 4 step 292 (EMA weights)', bestValMap: 0.25 },
    });
    expect((manifest.source as { trainConfig: { data: string } }).trainConfig.data).toBe('bccd');
    expect(lines.at(-1)).toMatch(/^wrote .*weights\.safetensors \(F16, \d+ bytes\)/);

    const halfBytes = new Uint8Array(readFileSync(join(out, BUNDLED_WEIGHTS_FILE)));
    // Half the bytes of the F32 file, give or take the header.
    expect(Math.abs(halfBytes.length - sourceBytes.length / 2)).toBeLessThan(60_000);
    expect(readSafetensorsHeader(halfBytes).metadata).toMatchObject({ classes: JSON.stringify(BCCD_LABELS), name: 'test D0', edet_train: 'epoch 4 step 292 (EMA weights)' });

    // The check, redone here: F32 source against the written F16 file, on both check images.
    const source = new EfficientDet({ compoundCoef: 0, numClasses: 3 });
    const converted = new EfficientDet({ compoundCoef: 0, numClasses: 3 });
    try {
      source.loadSafetensors(sourceBytes);
      converted.loadSafetensors(halfBytes);
      let worst = [0, 0];
      for (const file of checkImages) {
        const [score, regression] = await outputDifferences(source, converted, file);
        worst = [Math.max(worst[0], score), Math.max(worst[1], regression)];
      }
      expect(worst[0]).toBeLessThanOrEqual(F16_TOLERANCE.score);
      expect(worst[1]).toBeLessThanOrEqual(F16_TOLERANCE.regression);
      expect(worst[0]).toBeCloseTo(result.maxScoreDifference, 12);
      expect(worst[1]).toBeCloseTo(result.maxRegressionDifference, 12);
    } finally {
      source.dispose();
      converted.dispose();
    }

    // Deterministic: the same inputs give the same bytes.
    const again = mkdtempSync(join(tmpdir(), 'edet-bundle-'));
    await bundleModel({ run, out: again, name: 'test D0', checkImages });
    expect(readFileSync(join(again, BUNDLED_WEIGHTS_FILE)).equals(Buffer.from(halfBytes))).toBe(true);
    expect(readFileSync(join(again, 'model.json'), 'utf8')).toBe(readFileSync(join(out, 'model.json'), 'utf8'));
  });

  it('with dtype F32, writes the source values exactly (no conversion to check)', async () => {
    const out = mkdtempSync(join(tmpdir(), 'edet-bundle-'));
    const result = await bundleModel({ run, out, name: 'test D0', checkImages, dtype: 'F32' });
    expect(result.manifest).toMatchObject({ dtype: 'F32', conversion: { to: 'F32', maxScoreDifference: 0, maxRegressionDifference: 0 } });
    const bytes = new Uint8Array(readFileSync(join(out, BUNDLED_WEIGHTS_FILE)));
    const written = readSafetensors(bytes);
    const original = readSafetensors(sourceBytes);
    try {
      expect(Object.keys(written.tensors).sort()).toEqual(Object.keys(original.tensors).sort());
      for (const [key, tensor] of Object.entries(original.tensors)) {
        expect(written.tensors[key].dtype).toBe('float32');
        expect(Buffer.from((written.tensors[key].dataSync() as Float32Array).buffer).equals(Buffer.from((tensor.dataSync() as Float32Array).buffer))).toBe(true);
      }
    } finally {
      tf.dispose([...Object.values(written.tensors), ...Object.values(original.tensors)]);
    }
  });

  it('records the provenance it is given: training command, dataset, evaluation', async () => {
    const out = mkdtempSync(join(tmpdir(), 'edet-bundle-'));
    const evaluationFile = join(run, 'eval.json');
    const statNames = ['AP', 'AP50', 'AP75', 'APs', 'APm', 'APl', 'AR1', 'AR10', 'AR100', 'ARs', 'ARm', 'ARl'];
    const stats = statNames.map((_, index) => index / 20);
    writeFileSync(
      evaluationFile,
      JSON.stringify({ stats, statNames, perClass: BCCD_LABELS.map((name, index) => ({ categoryId: index + 1, name, stats })), images: 72, detections: 7200 }),
    );
    const { manifest } = await bundleModel({
      weights: join(run, 'best.safetensors'),
      out,
      name: 'test D0',
      trainingCommand: 'edet train --epochs 4',
      dataset: 'BCCD train split',
      evaluationFile,
      checkImages: checkImages.slice(0, 1),
    });
    expect(manifest.trainingCommand).toBe('edet train --epochs 4');
    expect(manifest.dataset).toBe('BCCD train split');
    expect(manifest.evaluation).toEqual({
      split: 'val',
      stats: Object.fromEntries(statNames.map((name, index) => [name, stats[index]])),
      perClass: BCCD_LABELS.map((name) => ({ name, AP: 0, AP50: 0.05 })),
      images: 72,
    });
    // Without a run folder the class names come from the weights' metadata.
    expect(manifest.labels).toEqual(BCCD_LABELS);
    expect(readSafetensorsHeader(new Uint8Array(readFileSync(join(out, BUNDLED_WEIGHTS_FILE)))).metadata.dataset).toBe('BCCD train split');
  });

  it('refuses weights that F16 cannot hold, and writes nothing', async () => {
    const model = new EfficientDet({ compoundCoef: 0, numClasses: 3, seed: 5 });
    let bytes: Uint8Array;
    try {
      // Beyond F16's largest finite value (65504): the copy's box outputs become infinite.
      const bias = model.namedParameters().get('regressor.header.pointwise_conv.conv.bias')!;
      const huge = tf.fill(bias.shape, 1e5);
      bias.assign(huge);
      huge.dispose();
      bytes = await model.saveSafetensors({ metadata: { classes: JSON.stringify(BCCD_LABELS) } });
    } finally {
      model.dispose();
    }
    const folder = mkdtempSync(join(tmpdir(), 'edet-bundle-'));
    writeFileSync(join(folder, 'huge.safetensors'), bytes);
    const out = join(folder, 'out');
    const before = tf.memory().numTensors;
    await expect(bundleModel({ weights: join(folder, 'huge.safetensors'), out, name: 'x', checkImages: checkImages.slice(0, 1) })).rejects.toThrow(
      /the F16 copy is out of tolerance: .*nothing written$/,
    );
    expect(tf.memory().numTensors).toBe(before);
    expect(existsSync(out)).toBe(false);
  });

  it('says what is missing from a run folder', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'edet-run-'));
    await expect(bundleModel({ run: empty, out: join(empty, 'out'), name: 'x', checkImages })).rejects.toThrow(
      /neither best\.safetensors nor weights\.safetensors is there \(pass --weights FILE\)$/,
    );
  });
});
