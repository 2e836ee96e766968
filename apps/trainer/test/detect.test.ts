import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import * as tf from '@tensorflow/tfjs-core';
import { COCO90_LABELS, EfficientDet } from '@edet/model';
import { decodeImage } from '@edet/data/node';
import { describe, expect, it } from 'vitest';

import { runInferBenchmark } from '../src/bench/infer.js';
import { BUNDLED_MODEL_DIRECTORY } from '../src/bundled-model.js';
import { runDetect, type DetectOptions } from '../src/commands/detect.js';
import { readInputFile } from '../src/files.js';
import { chooseModel, createChosenDetector } from '../src/model.js';
import { SAMPLES_DIRECTORY } from '../src/samples.js';

/** The input size the bundled model's manifest names (the size it was trained at). */
const bundledInputSize = (): number => (JSON.parse(readFileSync(join(BUNDLED_MODEL_DIRECTORY, 'model.json'), 'utf8')) as { inputSize: number }).inputSize;

// In-process runs of the pipeline behind `edet detect` and `edet bench`, for what a spawned CLI cannot show:
// that no tensor outlives a call, and which weights and class names a run picks. Nothing here depends on
// how well the bundled BCCD model is trained.

const sample = join(SAMPLES_DIRECTORY, 'BloodImage_00000.jpg');
const BCCD_LABELS = ['RBC', 'WBC', 'Platelets'];
const io = () => {
  const captured = { out: '', err: '' };
  return { captured, io: { out: (text: string) => void (captured.out += text), err: (text: string) => void (captured.err += text) } };
};

describe('which model runs', () => {
  it('reads and parses a --weights file once: the metadata and the loaded model come from that one read', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'edet-once-'));
    const file = join(folder, 'named.safetensors');
    const source = new EfficientDet({ compoundCoef: 0, numClasses: 2, seed: 5 });
    try {
      writeFileSync(file, await source.saveSafetensors({ metadata: { classes: '["cat","dog"]', trained: 'false' } }));
    } finally {
      source.dispose();
    }
    const choice = await chooseModel({ compoundCoef: 0, weightsFile: file });
    expect(choice.classNames).toEqual(['cat', 'dog']);
    expect(choice.weights?.header.metadata.classes).toBe('["cat","dog"]');
    // Gone from disk: loading the model uses the parse made while choosing, not a second read.
    rmSync(file);
    const notices: string[] = [];
    const model = await createChosenDetector(choice, (line) => notices.push(line));
    expect(model.config.numClasses).toBe(2);
    expect(notices).toEqual([`note: ${file} marks itself as untrained weights; its detections are meaningless`]);
    model.dispose();
  });

  it('without --weights: the bundled BCCD D0 model and its class names', async () => {
    const choice = await chooseModel({ compoundCoef: 0 });
    expect(choice).toMatchObject({ compoundCoef: 0, classNames: BCCD_LABELS, inputSize: bundledInputSize(), weightsFile: join(BUNDLED_MODEL_DIRECTORY, 'weights.safetensors') });
    expect(choice.untrainedReason).toBeUndefined();
    expect(choice.description).toMatch(/\(bundled\)$/);
    // Naming its classes (a --classes file, a dataset's categories) keeps it.
    expect((await chooseModel({ compoundCoef: 0, classNames: BCCD_LABELS })).bundled).toBeDefined();
  });

  it('with --weights: that file, with the names in its metadata, else as many as its class head has, unless --classes says otherwise', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'edet-choose-'));
    const plain = join(folder, 'plain.safetensors');
    const named = join(folder, 'named.safetensors');
    const broken = join(folder, 'broken.safetensors');
    const model = new EfficientDet({ compoundCoef: 0, numClasses: 2, seed: 3 });
    try {
      writeFileSync(plain, await model.saveSafetensors());
      writeFileSync(named, await model.saveSafetensors({ metadata: { classes: '["cat","dog"]' } }));
      writeFileSync(broken, await model.saveSafetensors({ metadata: { classes: '{"cat": 1}' } }));
    } finally {
      model.dispose();
    }
    expect(await chooseModel({ compoundCoef: 0, weightsFile: plain })).toMatchObject({ weightsFile: plain, classNames: ['class 0', 'class 1'] });
    expect((await chooseModel({ compoundCoef: 0, weightsFile: named })).classNames).toEqual(['cat', 'dog']);
    expect((await chooseModel({ compoundCoef: 2, weightsFile: named, classNames: ['a', 'b'] })).classNames).toEqual(['a', 'b']);
    await expect(chooseModel({ compoundCoef: 0, weightsFile: broken })).rejects.toThrow(/broken\.safetensors.*metadata "classes".*array/);
    // The bundled model's file, passed as --weights, names its own classes.
    const bundled = join(BUNDLED_MODEL_DIRECTORY, 'weights.safetensors');
    expect((await chooseModel({ compoundCoef: 0, weightsFile: bundled })).classNames).toEqual(BCCD_LABELS);
  });

  it('untrained weights, with the reason, when the bundled model does not fit or is not there', async () => {
    const otherVariant = await chooseModel({ compoundCoef: 1 });
    expect(otherVariant.weightsFile).toBeUndefined();
    expect(otherVariant.classNames).toEqual([...COCO90_LABELS]);
    expect(otherVariant.untrainedReason).toMatch(/is D0, not D1/);
    const otherClasses = await chooseModel({ compoundCoef: 0, classNames: COCO90_LABELS });
    expect(otherClasses.weightsFile).toBeUndefined();
    expect(otherClasses.untrainedReason).toMatch(/has other classes \(RBC, WBC, Platelets\)/);
    const renamed = await chooseModel({ compoundCoef: 0, classNames: ['red', 'white', 'platelet'] });
    expect(renamed.weightsFile).toBeUndefined();
    const none = await chooseModel({ compoundCoef: 0, bundledDirectory: mkdtempSync(join(tmpdir(), 'edet-no-model-')) });
    expect(none.weightsFile).toBeUndefined();
    expect(none.untrainedReason).toBe('no trained model is bundled');

    const notices: string[] = [];
    const model = await createChosenDetector(otherClasses, (line) => notices.push(line));
    model.dispose();
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatch(/^note: no --weights given and the bundled model .* has other classes .*untrained weights \(seed 42\).*meaningless/);
  });
});

describe('detection in-process', () => {
  it('model.detect with the bundled model leaves no tensor behind', async () => {
    const notices: string[] = [];
    const model = await createChosenDetector(await chooseModel({ compoundCoef: 0 }), (line) => notices.push(line));
    try {
      expect(notices).toEqual([]);
      expect(model.config).toMatchObject({ compoundCoef: 0, numClasses: 3, inputSize: bundledInputSize() });
      const { image } = await decodeImage(await readInputFile(sample), sample);
      const before = tf.memory().numTensors;
      const [detections] = await model.detect([image], { scoreThreshold: 0.2 });
      expect(tf.memory().numTensors).toBe(before + model.cachedTensorCount());
      expect(Array.isArray(detections)).toBe(true);
    } finally {
      model.dispose();
    }
  });

  it('runDetect batches its forward passes: --batch 2 over three images reports what one at a time does', async () => {
    const files = ['BloodImage_00000.jpg', '000000000136.jpg', 'BloodImage_00004.jpg'].map((name) => join(SAMPLES_DIRECTORY, name));
    const run = async (batch: number) => {
      const out = mkdtempSync(join(tmpdir(), 'edet-detect-'));
      try {
        const options: DetectOptions = { coef: 0, scoreThreshold: 0.05, iouThreshold: 0.2, nms: 'per-class', maxDetections: 20, json: true, out, batch };
        return await runDetect(files, options, io().io);
      } finally {
        rmSync(out, { recursive: true, force: true });
      }
    };
    const before = tf.memory().numTensors;
    const [batched, single] = [await run(2), await run(1)];
    expect(tf.memory().numTensors).toBe(before);
    expect(batched.map((report) => report.image)).toEqual(files);
    // Images of different sizes in one batch: each is letterboxed on its own, so only rounding can differ.
    for (const [i, report] of batched.entries()) {
      expect(report.detections.length, report.image).toBe(single[i].detections.length);
      expect(report.detections.length, report.image).toBeGreaterThan(0);
      report.detections.forEach((detection, j) => {
        const expected = single[i].detections[j];
        expect(detection.classId).toBe(expected.classId);
        expect(Math.abs(detection.score - expected.score)).toBeLessThan(1e-5);
        detection.box.forEach((value, k) => expect(Math.abs(value - expected.box[k])).toBeLessThan(1e-3));
      });
    }
  });

  it('runDetect with no --weights: JSON with BCCD labels, the annotated image, its model freed', async () => {
    const out = mkdtempSync(join(tmpdir(), 'edet-detect-'));
    const { captured, io: commandIo } = io();
    // A threshold low enough that any weights give rows to check; 20 at most.
    const options: DetectOptions = { coef: 0, scoreThreshold: 0.001, iouThreshold: 0.2, nms: 'per-class', maxDetections: 20, json: true, out };
    const before = tf.memory().numTensors;
    const reports = await runDetect([sample], options, commandIo);
    expect(tf.memory().numTensors).toBe(before);
    expect(JSON.parse(captured.out)).toEqual(reports);
    expect(reports).toHaveLength(1);
    expect(reports[0].image).toBe(sample);
    expect(reports[0].detections.length).toBeGreaterThan(0);
    expect(reports[0].detections.length).toBeLessThanOrEqual(20);
    for (const { box, score, classId, label } of reports[0].detections) {
      expect(box[0] >= 0 && box[0] <= box[2] && box[2] <= 640 && box[1] >= 0 && box[1] <= box[3] && box[3] <= 480).toBe(true);
      expect(score > 0.001 && score <= 1).toBe(true);
      expect(label).toBe(BCCD_LABELS[classId]);
    }
    // Trained weights: no untrained-weights notice, only the plain note on what the model knows.
    expect(captured.err).not.toMatch(/untrained/);
    expect(captured.err).toContain('note: EfficientDet-D0 BCCD knows only RBC, WBC and Platelets');
    expect(readdirSync(out)).toEqual(['BloodImage_00000.jpg']);
  });

  it('runDetect with --weights and no --classes names COCO classes, as before the bundled model', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'edet-detect-'));
    const weights = join(folder, 'coco-seeded.safetensors');
    const seeded = new EfficientDet({ compoundCoef: 0, numClasses: 90, seed: 7 });
    try {
      writeFileSync(weights, await seeded.saveSafetensors());
    } finally {
      seeded.dispose();
    }
    const { captured, io: commandIo } = io();
    const options: DetectOptions = { weights, coef: 0, scoreThreshold: 0.005, iouThreshold: 0.2, nms: 'per-class', maxDetections: 5, json: false, out: join(folder, 'out') };
    const [report] = await runDetect([sample], options, commandIo);
    expect(captured.out).toContain(`model: efficientdet-d0, 90 classes, weights: ${weights}`);
    expect(captured.out).toContain('numerics: max-pool padding zero (zylo117)\n');
    expect(captured.err).toBe('');
    expect(report.detections.length).toBeGreaterThan(0);
    for (const { classId, label } of report.detections) expect(label).toBe(COCO90_LABELS[classId] || `class ${classId}`);
  });
});

describe('runInferBenchmark', () => {
  it('times warm runs until the outputs are read back, and frees everything', async () => {
    const before = tf.memory().numTensors;
    const result = await runInferBenchmark({ coef: 0, size: 128, batch: 2, runs: 2, warmup: 1 });
    expect(tf.memory().numTensors).toBe(before);
    expect(result).toMatchObject({ backend: tf.getBackend(), coef: 0, size: 128, batch: 2, runs: 2, warmup: 1 });
    expect(result.timesMs).toHaveLength(2);
    expect(result.minMs).toBeLessThanOrEqual(result.medianMs);
    expect(result.medianMs).toBeLessThanOrEqual(result.maxMs);
    expect(result.firstRunMs).toBeGreaterThan(0);
    expect(result.imagesPerSecond).toBeCloseTo(2000 / result.medianMs);
  });
});
