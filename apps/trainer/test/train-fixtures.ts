import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { BUNDLED_DATASET } from '../src/bundled-dataset.js';
import type { CommandIo } from '../src/io.js';
import type { RunConfigInput } from '../src/train/trainer.js';

/** A fresh temporary folder. */
export function temporaryFolder(prefix = 'edet-train-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

interface CocoJson {
  images: { id: number; file_name: string; width: number; height: number }[];
  annotations: { image_id: number }[];
  categories: unknown[];
}

/**
 * A small COCO dataset cut from the bundled BCCD: the first `train` images of its train split and the first
 * `val` of its val split, in a new folder (`instances_train.json`, `instances_val.json`, `images/`).
 */
export function tinyCocoDataset(train = 2, val = 1): string {
  const folder = temporaryFolder('edet-data-');
  mkdirSync(join(folder, 'images'));
  for (const [split, count] of [['train', train], ['val', val]] as const) {
    const coco = JSON.parse(readFileSync(join(BUNDLED_DATASET, `instances_${split}.json`), 'utf8')) as CocoJson;
    const images = coco.images.slice(0, count);
    const ids = new Set(images.map((image) => image.id));
    for (const image of images) copyFileSync(join(BUNDLED_DATASET, 'images', image.file_name), join(folder, 'images', image.file_name));
    const subset = { ...coco, images, annotations: coco.annotations.filter((a) => ids.has(a.image_id)) };
    if (count > 0) writeFileSync(join(folder, `instances_${split}.json`), JSON.stringify(subset));
  }
  return folder;
}

/** An io that records what a command writes. */
export function recordingIo(): CommandIo & { output: () => string; errors: () => string } {
  let out = '';
  let err = '';
  return {
    out: (text) => void (out += text),
    err: (text) => void (err += text),
    output: () => out,
    errors: () => err,
  };
}

/** A run configuration small enough for tests: D0 backbone, 1 BiFPN layer and 1 head layer, 128x128, batch 1. */
export function tinyRunConfig(data: string, overrides: Partial<RunConfigInput> = {}): RunConfigInput {
  return {
    data,
    format: 'coco',
    split: 'train',
    valSplit: 'val',
    coef: 0,
    size: 128,
    batch: 1,
    microBatch: 1,
    epochs: 2,
    lr: 1e-3,
    optimizer: 'adamw',
    weightDecay: 1e-2,
    warmupSteps: 1,
    clip: 10,
    ema: null,
    seed: 7,
    augment: true,
    weights: null,
    model: { fpnLayers: 1, headLayers: 1 },
    ...overrides,
  };
}
