// Training at a non-square input ([height, width]): the run limits, the batch tensors, a short run of the
// epoch loop with real steps and a validation on a small D0 at 64x96, and a run on a dataset folder at
// 128x256 that saves and resumes.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import * as tf from '@tensorflow/tfjs-core';
import { type Batch, type Sample, groundTruthOf, loadBatch, streamEpoch } from '@edet/data';
import { EfficientDet, type RgbImage, checkpointGeometry, trainStep } from '@edet/model';
import { parseSafetensors } from '@edet/safetensors';
import {
  type EpochLoop,
  type RunState,
  StopSignal,
  TrainError,
  batchTensors,
  checkRunSizes,
  createOptimizer,
  defaultMicroBatch,
  trainEpochs,
  validate,
  validationPipeline,
} from '@edet/train';
import { CHECKPOINT_FILE, type RunConfig, WEIGHTS_FILE, readCheckpointJson, trainOnDataset } from '@edet/train/node';
import { describe, expect, it } from 'vitest';

import { temporaryFolder, tinyCocoDataset } from '../../data/test/support/datasets.js';

const SIZE: [number, number] = [64, 96];

/** A grey image with a bright rectangle `[x1, y1, x2, y2)`. */
function rectangleImage(width: number, height: number, [x1, y1, x2, y2]: number[]): RgbImage {
  const data = new Uint8Array(width * height * 3).fill(60);
  for (let y = y1; y < y2; y++) for (let x = x1; x < x2; x++) data.fill(230, (y * width + x) * 3, (y * width + x) * 3 + 3);
  return { data, width, height, channels: 3 };
}

// Two images, one wider and one taller than the frame, each with one box of its own class.
const RECTANGLES = [
  [20, 10, 90, 40],
  [6, 20, 34, 70],
];
const IMAGES = [rectangleImage(120, 60, RECTANGLES[0]), rectangleImage(40, 80, RECTANGLES[1])];
const SAMPLES: Sample[] = IMAGES.map((image, i) => ({
  file: `memory-${i}`,
  name: `memory-${i}`,
  width: image.width,
  height: image.height,
  boxes: [[...RECTANGLES[i], i] as Sample['boxes'][number]],
  imageId: i + 1,
}));
const readImage = async (sample: Sample) => IMAGES[sample.imageId - 1];

describe('run sizes at [height, width]', () => {
  it('take positive integer sides and size the batch tensor by height x width', () => {
    expect(() => checkRunSizes({ size: [384, 640], batch: 4, microBatch: 2 })).not.toThrow();
    expect(() => checkRunSizes({ size: [384, 600], batch: 4, microBatch: 2 })).not.toThrow();
    expect(() => checkRunSizes({ size: [384, 600.5], batch: 4, microBatch: 2 })).toThrow(TrainError);
    expect(() => checkRunSizes({ size: [384, 600.5], batch: 4, microBatch: 2 })).toThrow(
      /^--size 384x600\.5: expected a positive integer side or a height and width of positive integers, e\.g\. 512 or 384x640$/,
    );
    expect(() => checkRunSizes({ size: [0, 128] as unknown as [number, number], batch: 1, microBatch: 1 })).toThrow(/^--size 0x128: expected a positive integer side/);
    expect(() => checkRunSizes({ size: [128, 4096], batch: 1, microBatch: 1 })).toThrow(
      /^--size 128x4096: training takes input sizes up to 2048 \(one 128x4096 image's .*use a height and width of 2048 or less$/,
    );
    // 2048 x 1024 x 3 x 43 = 270M values > 2^28; 42 fit.
    expect(() => checkRunSizes({ size: [2048, 1024], batch: 43, microBatch: 1 })).toThrow(/^--batch 43 at --size 2048x1024 needs a 1\.0 GiB batch tensor.*use --batch 42 or less/);
    expect(() => checkRunSizes({ size: [2048, 1024], batch: 42, microBatch: 1 })).not.toThrow();
  });

  it('scale the wasm micro-batch with the pixel count', () => {
    // D0: 2 x 512² pixels per pass; 256 x 512 is half of 512², so 4 images fit.
    expect(defaultMicroBatch('wasm', 0, [256, 512], 16)).toBe(4);
    expect(defaultMicroBatch('wasm', 0, [512, 256], 16)).toBe(4);
    expect(defaultMicroBatch('wasm', 1, [512, 1024], 16)).toBe(1);
    expect(defaultMicroBatch('cpu', 0, [512, 1024], 16)).toBe(16);
  });
});

describe('training at [64, 96]', () => {
  it('makes [N, 64, 96, 3] batch tensors holding the batch pixels', async () => {
    const batch = await loadBatch(SAMPLES, [0, 1], 0, 0, { size: SIZE, batchSize: 2, seed: 1, augment: true, shuffle: false, dropLast: false, readImage });
    const start = tf.memory().numTensors;
    const { x, targets } = batchTensors(batch);
    expect(x.shape).toEqual([2, 64, 96, 3]);
    expect(x.dataSync()).toEqual(batch.pixels);
    expect(targets.map((t) => t.shape)).toEqual(batch.boxes.map((boxes) => [boxes.length, 5]));
    tf.dispose([x, ...targets]);
    expect(tf.memory().numTensors).toBe(start);
  });

  it('runs two steps and a validation of a small D0, leaking no tensors', async () => {
    const start = tf.memory().numTensors;
    const model = new EfficientDet({ compoundCoef: 0, numClasses: 2, inputSize: SIZE, fpnLayers: 1, headLayers: 1, seed: 3 });
    const optimizer = createOptimizer('adamw', 1e-3, 1e-4);
    const before = model.namedEntries().map((entry) => entry.variable.dataSync().slice());
    const pipeline = { size: SIZE, batchSize: 2, seed: 7, augment: true, shuffle: true, dropLast: true, readImage };
    async function* batches(): AsyncGenerator<Batch> {
      for (let epoch = 0; epoch < 2; epoch++) yield* streamEpoch(SAMPLES, epoch, 0, pipeline);
    }
    const shapes: number[][] = [];
    const dataset = { categoryIds: [1, 2], groundTruth: groundTruthOf(SAMPLES, ['wide', 'tall'], [1, 2]) };
    let validation: Awaited<ReturnType<typeof validate>> | undefined;
    const loop: EpochLoop = {
      model,
      optimizer,
      schedule: { baseLr: 1e-3, warmupSteps: 0, totalSteps: 2, minLr: 0 },
      epochs: 2,
      stepsPerEpoch: 1,
      stepLimit: 2,
      batches: batches(),
      stop: new StopSignal(),
      runStep: (x, targets) => {
        shapes.push(x.shape);
        return trainStep(model, optimizer, x, targets, { channelsLast: true });
      },
      stepFailure: (error) => error,
      checkpointNote: () => '',
      elapsed: () => 0,
      validatesAfter: (epoch) => epoch === 2,
      validate: () =>
        validate(model, dataset as Parameters<typeof validate>[1], streamEpoch(SAMPLES, 0, 0, { ...validationPipeline({ size: SIZE, batch: 2 }), readImage })),
      onValidation: (_epoch, result) => void (validation = result),
      save: async () => undefined,
      onEpoch: async () => undefined,
    };
    const state: RunState = { progress: { epoch: 0, batchInEpoch: 0, step: 0 }, bestMap: null };
    try {
      const result = await trainEpochs(loop, state);
      expect(result.stopped).toBe('complete');
      expect(shapes).toEqual([
        [2, 64, 96, 3],
        [2, 64, 96, 3],
      ]);
      expect(Number.isFinite(result.last!.loss) && result.last!.loss > 0).toBe(true);
      expect(state.progress).toEqual({ epoch: 2, batchInEpoch: 0, step: 2 });
      const changed = model.namedEntries().filter((entry, i) => entry.trainable && entry.variable.dataSync().some((value, j) => value !== before[i][j]));
      expect(changed.length).toBeGreaterThan(0);
      // Validation ran on the unaugmented [64, 96] letterbox: a finite loss and an mAP (near 0 after two steps).
      expect(Number.isFinite(validation!.valLoss)).toBe(true);
      expect(validation!.mapError).toBeUndefined();
      expect(validation!.map).toBeGreaterThanOrEqual(0);
    } finally {
      optimizer.dispose();
      model.dispose();
    }
    expect(tf.memory().numTensors).toBe(start);
  });
});

describe('a run on a dataset folder at [128, 256]', () => {
  it('trains, saves the size with the checkpoint and the weights, and resumes at it', async () => {
    const start = tf.memory().numTensors;
    const out = temporaryFolder('edet-run-');
    const config = {
      data: tinyCocoDataset(1, 1),
      format: 'coco',
      split: 'train',
      valSplit: 'val',
      coef: 0,
      size: [128, 256],
      batch: 1,
      microBatch: 1,
      epochs: 2,
      lr: 1e-3,
      optimizer: 'adamw',
      weightDecay: 1e-2,
      clip: 10,
      ema: null,
      seed: 7,
      augment: true,
      weights: null,
      model: { fpnLayers: 1, headLayers: 1 },
    } satisfies Omit<RunConfig, 'warmupSteps'>;
    const first = await trainOnDataset({ config, out, maxSteps: 1, evalEvery: 1, handleSignals: false });
    expect(first).toMatchObject({ step: 1, epochs: 1, stopped: 'max-steps' });
    // Validation after epoch 1 ran at the same size (a finite loss, an mAP).
    expect(Number.isFinite(first.validation!.valLoss)).toBe(true);
    expect(first.validation!.mapError).toBeUndefined();
    const json = await readCheckpointJson<RunConfig>(join(out, CHECKPOINT_FILE));
    expect(json.config.size).toEqual([128, 256]);
    const weights = parseSafetensors(new Uint8Array(readFileSync(join(out, WEIGHTS_FILE))));
    expect(checkpointGeometry(weights.header.metadata)).toEqual({ compoundCoef: 0, inputSize: [128, 256] });

    const resumed = await trainOnDataset({ resume: { file: join(out, CHECKPOINT_FILE), json }, out, handleSignals: false });
    expect(resumed).toMatchObject({ step: 2, epochs: 2, stopped: 'complete' });
    expect(resumed.config.size).toEqual([128, 256]);
    expect(Number.isFinite(resumed.last!.loss)).toBe(true);
    expect(tf.memory().numTensors).toBe(start);
  });
});
