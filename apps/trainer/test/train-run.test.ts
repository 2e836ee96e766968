import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import * as tf from '@tensorflow/tfjs-core';
import { loadBatch, loadCocoDataset } from '@edet/data/node';
import { EfficientDet, trainStep } from '@edet/model';
import { AdamW } from '@edet/tensor';
import { CLASS_LAYER_PREFIX, type LogRecord, TrainError, WeightEma, batchTensors, loadInitialWeights } from '@edet/train';
import { CHECKPOINT_FILE, type RunConfig, WEIGHTS_FILE, readCheckpointJson, restoreCheckpoint, saveCheckpoint } from '@edet/train/node';
import { describe, expect, it } from 'vitest';

import type { StepInfo } from '../src/train/trainer.js';
import { temporaryFolder, tinyCocoDataset, tinyRunConfig, train } from './train-fixtures.js';

const TINY_MODEL = { compoundCoef: 0, fpnLayers: 1, headLayers: 1, inputSize: 128 } as const;

const readLog = (folder: string) =>
  readFileSync(join(folder, 'log.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as LogRecord);

describe('checkpoints', () => {
  it('write then read restores weights, batch-norm statistics, optimizer moments and EMA exactly', async () => {
    const samples = loadCocoDataset(tinyCocoDataset(1, 0), 'train').samples;
    const batch = await loadBatch(samples, [0], 0, 0, { size: 128, batchSize: 1, seed: 1, augment: false, shuffle: false, dropLast: false });
    const { x, targets } = batchTensors(batch);
    const model = new EfficientDet({ ...TINY_MODEL, numClasses: 3, seed: 1 });
    const optimizer = new AdamW({ learningRate: 1e-3 });
    const ema = new WeightEma(model, 0.9);
    trainStep(model, optimizer, x, targets, { channelsLast: true, microBatch: 1 });
    ema.update();
    const folder = temporaryFolder();
    const json = await saveCheckpoint(folder, {
      model,
      optimizer,
      ema,
      json: {
        reason: 'interrupt',
        config: tinyRunConfig('unused', { warmupSteps: 1 }) as never,
        classNames: ['a', 'b', 'c'],
        categoryIds: [1, 2, 3],
        progress: { epoch: 0, batchInEpoch: 1, step: 1 },
        rng: { seed: 1, epoch: 0, batchInEpoch: 1 },
        schedule: { baseLr: 1e-3, warmupSteps: 1, totalSteps: 4, minLr: 0 },
        optimizer: { name: 'adamw', weightDecay: 0.01 },
        bestMap: null,
      },
    });
    const hashOf = (name: string) => createHash('sha256').update(readFileSync(join(folder, name))).digest('hex');
    expect(json.files).toEqual({
      state: 'state-0000001.safetensors',
      weights: WEIGHTS_FILE,
      sha256: { state: hashOf('state-0000001.safetensors'), weights: hashOf(WEIGHTS_FILE) },
    });
    expect(readdirSync(folder).sort()).toEqual([CHECKPOINT_FILE, 'state-0000001.safetensors', WEIGHTS_FILE]);
    const read = await readCheckpointJson(join(folder, CHECKPOINT_FILE));
    expect(read).toEqual(json);

    const copy = new EfficientDet({ ...TINY_MODEL, numClasses: 3, seed: 2 });
    const copyOptimizer = new AdamW({ learningRate: 1 });
    const copyEma = new WeightEma(copy, 0.9);
    await restoreCheckpoint(join(folder, CHECKPOINT_FILE), read, { model: copy, optimizer: copyOptimizer, ema: copyEma });
    const same = (a: tf.Tensor, b: tf.Tensor) => Buffer.from(a.dataSync().buffer).equals(Buffer.from(b.dataSync().buffer));
    const originals = model.namedEntries();
    copy.namedEntries().forEach((entry, i) => expect(same(entry.variable, originals[i].variable), entry.name).toBe(true));
    const [a, b] = [optimizer.getState(), copyOptimizer.getState()];
    expect(b.step).toBe(1);
    expect(Object.keys(b.tensors)).toEqual(Object.keys(a.tensors));
    for (const key of Object.keys(a.tensors)) expect(same(a.tensors[key], b.tensors[key]), key).toBe(true);
    const [ea, eb] = [ema.getState(), copyEma.getState()];
    for (const key of Object.keys(ea)) expect(same(ea[key], eb[key]), key).toBe(true);
    expect(copyEma.updates).toBe(1);
    // weights.safetensors holds the EMA weights, loadable as a detector checkpoint.
    const deployed = new EfficientDet({ ...TINY_MODEL, numClasses: 3 });
    deployed.loadSafetensors(new Uint8Array(readFileSync(join(folder, WEIGHTS_FILE))));
    const averaged = deployed.namedEntries();
    averaged.forEach((entry) => expect(same(entry.variable, ea[entry.name]), entry.name).toBe(true));

    writeFileSync(join(folder, 'other.json'), '{"format": "something"}');
    await expect(readCheckpointJson(join(folder, 'other.json'))).rejects.toThrow(/not an edet training checkpoint/);
    tf.dispose([x, ...targets, ...Object.values(a.tensors), ...Object.values(b.tensors), ...Object.values(ea), ...Object.values(eb)]);
    for (const disposable of [model, copy, deployed, optimizer, copyOptimizer, ema, copyEma]) disposable.dispose();
  });

  it('a resumed run continues the step count and the loss trajectory of the uninterrupted one', async () => {
    const data = tinyCocoDataset(2, 1);
    const config = tinyRunConfig(data, { ema: 0.9 });
    const straight = await train({ config, out: temporaryFolder(), maxSteps: 3 });
    expect(straight.steps.map((s) => s.step)).toEqual([1, 2, 3]);

    const out = temporaryFolder();
    const first = await train({ config, out, maxSteps: 1 });
    expect(first.result).toMatchObject({ stopped: 'max-steps', step: 1 });
    const file = join(out, CHECKPOINT_FILE);
    const json = await readCheckpointJson<RunConfig>(file);
    expect(json).toMatchObject({ reason: 'max-steps', progress: { epoch: 0, batchInEpoch: 1, step: 1 }, rng: { seed: 7 } });
    const second = await train({ resume: { file, json }, out, maxSteps: 3 });
    expect(second.io.errors()).toContain('resuming at epoch 1, step 1');
    expect(second.steps.map((s) => [s.step, s.epoch, s.batch])).toEqual([
      [2, 1, 2],
      [3, 2, 1],
    ]);
    const losses = (steps: StepInfo[]) => steps.map((s) => [s.loss, s.classificationLoss, s.boxLoss, s.lr]);
    expect(losses([...first.steps, ...second.steps])).toEqual(losses(straight.steps));
    expect((await readCheckpointJson(file)).progress).toEqual({ epoch: 1, batchInEpoch: 1, step: 3 });
    const log = readLog(out);
    expect(log.filter((r) => r.type === 'start').map((r) => r.resumed)).toEqual([false, true]);
    expect(log.filter((r) => r.type === 'step').map((r) => r.step)).toEqual([1, 2, 3]);
  });

  it('the Ctrl-C handler stops after the step and saves a checkpoint', async () => {
    const out = temporaryFolder();
    const { result, io } = await train({
      config: tinyRunConfig(tinyCocoDataset(2, 0)),
      out,
      hooks: { onStep: (info) => info.interrupt() },
    });
    expect(result).toMatchObject({ stopped: 'interrupt', step: 1, checkpoint: join(out, CHECKPOINT_FILE) });
    expect(io.errors()).toContain('edet: interrupted: saving a checkpoint after this step (Ctrl-C again to quit without saving)');
    expect(await readCheckpointJson(join(out, CHECKPOINT_FILE))).toMatchObject({ reason: 'interrupt', progress: { step: 1 } });
  });
});

describe('guardrails', () => {
  it('stops at a non-finite loss, naming the step and its images, without saving', async () => {
    const out = temporaryFolder();
    let calls = 0;
    const run = train({
      config: tinyRunConfig(tinyCocoDataset(2, 0)),
      out,
      hooks: { step: () => (++calls === 2 ? { loss: NaN, classificationLoss: NaN, boxLoss: 1 } : { loss: 1, classificationLoss: 0.5, boxLoss: 0.5 }) },
    });
    await expect(run).rejects.toThrow(TrainError);
    await expect(run).rejects.toThrow(
      /^loss became NaN at step 2 \(batch: BloodImage_0000[0-9]\.jpg\); stopped without saving\. No checkpoint was written yet\. Try a lower --lr/,
    );
    expect(existsSync(join(out, CHECKPOINT_FILE))).toBe(false);
  });

  it('warns when batch norm would see fewer than 4 images at a time, and only then', async () => {
    const data = tinyCocoDataset(4, 0);
    const stub = { step: () => ({ loss: 1, classificationLoss: 0.5, boxLoss: 0.5 }) };
    const config = tinyRunConfig(data, { batch: 4, microBatch: 2 });
    const small = await train({ config, out: temporaryFolder(), maxSteps: 1, hooks: stub });
    expect(small.io.errors()).toMatch(/^edet: note: batch norm sees 2 images at a time; with fewer than 4 .*--micro-batch 4/m);
    const enough = await train({ config: tinyRunConfig(data, { batch: 4, microBatch: 4 }), out: temporaryFolder(), maxSteps: 1, hooks: stub });
    expect(enough.io.errors()).not.toContain('batch norm sees');
    // Two workers with synchronised batch norm normalise over both their passes: 4 images.
    const synced = await train({ config, out: temporaryFolder(), maxSteps: 1, hooks: stub, workers: 2 });
    expect(synced.io.errors()).not.toContain('batch norm sees');
    const unsynced = await train({ config, out: temporaryFolder(), maxSteps: 1, hooks: stub, workers: 2, syncBatchNorm: false });
    expect(unsynced.io.errors()).toMatch(/batch norm sees 2 images at a time/);
  });

  it('starts from weights with another class count: all but the class layer, with a clear message', async () => {
    const source = new EfficientDet({ ...TINY_MODEL, numClasses: 5, seed: 1 });
    const file = join(temporaryFolder(), 'five.safetensors');
    writeFileSync(file, await source.saveSafetensors());
    const target = new EfficientDet({ ...TINY_MODEL, numClasses: 3, seed: 2 });
    const fresh = Object.fromEntries(target.namedEntries().map((e) => [e.name, Array.from(e.variable.dataSync())]));
    const before = tf.memory().numTensors;
    expect(loadInitialWeights(target, new Uint8Array(readFileSync(file)), file)).toEqual({ layout: 'zylo117', fileClasses: 5 });
    expect(tf.memory().numTensors).toBe(before);
    const loaded = new Map(source.namedEntries().map((e) => [e.name, e.variable]));
    // Compared in a loop (toEqual over ~4M values takes seconds); -1: no element differs.
    const firstDifference = (actual: ArrayLike<number>, expected: ArrayLike<number>) =>
      actual.length !== expected.length ? 0 : Array.prototype.findIndex.call(actual, (value: number, i: number) => !Object.is(value, expected[i]));
    for (const entry of target.namedEntries()) {
      const values = entry.variable.dataSync();
      const expected = entry.name.startsWith(CLASS_LAYER_PREFIX) ? fresh[entry.name] : loaded.get(entry.name)!.dataSync();
      expect(firstDifference(values, expected), entry.name).toBe(-1);
    }
    // The class layer keeps the prior bias: -log((1 - 0.01) / 0.01).
    expect(fresh[`${CLASS_LAYER_PREFIX}conv.bias`][0]).toBeCloseTo(-Math.log(99), 5);

    const { io, result } = await train({ config: tinyRunConfig(tinyCocoDataset(1, 0), { weights: file }), out: temporaryFolder(), maxSteps: 1 });
    expect(result.step).toBe(1);
    expect(io.errors()).toContain(
      "five.safetensors has a 5-class head and this dataset 3 classes: loaded every weight except the class head's last layer (classifier.header.pointwise_conv.*), which starts fresh",
    );
    source.dispose();
    target.dispose();
  });

  it('leaves the tensor count unchanged from step to step, across validation and checkpoints', async () => {
    const counts: number[] = [];
    const out = temporaryFolder();
    const before = tf.memory().numTensors;
    const { result } = await train({
      config: tinyRunConfig(tinyCocoDataset(2, 1), { ema: 0.99, optimizer: 'sgd', weightDecay: 4e-5 }),
      out,
      evalEvery: 1,
      plot: true,
      maxSteps: 4,
      hooks: { onStep: () => counts.push(tf.memory().numTensors) },
    });
    expect(counts).toHaveLength(4);
    expect(new Set(counts).size, `tensors after each step: ${counts.join(', ')}`).toBe(1);
    expect(tf.memory().numTensors).toBe(before);
    // Epoch records carry validation loss and mAP; the plot is a PNG.
    const epochs = readLog(out).filter((r) => r.type === 'epoch');
    expect(epochs.map((r) => r.epoch)).toEqual([1, 2]);
    for (const record of epochs) {
      expect(record).toMatchObject({ type: 'epoch', valLoss: expect.any(Number), map: expect.any(Number), map50: expect.any(Number) });
    }
    expect(readFileSync(result.plot!).subarray(1, 4).toString()).toBe('PNG');
  });
});
