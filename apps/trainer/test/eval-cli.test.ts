import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { categoryMap, EVAL_PREDICT_OPTIONS, type CocoDataset } from '@edet/coco-eval';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';

import { sharedPath } from '../../../packages/tensor/test/shared-fixtures.js';
import { detectDataset } from '../src/dataset-detections.js';
import { oneLineMessage } from '../src/errors.js';
import { createDetector } from '../src/model.js';
import { runProgram } from './support/run-program.js';

// `edet eval` in-process: both forms, the output contract and one-line errors.

const fixtures = fileURLToPath(new URL('../../../packages/coco-eval/test/fixtures/', import.meta.url));
const edges = (file: string) => join(fixtures, 'edges', file);

/** Runs `edet ...args` in-process; a thrown error is what cli.ts would print as `edet: <message>`. */
async function edet(args: string[]): Promise<{ out: string; err: string; error?: string }> {
  const { out, err, error } = await runProgram(args);
  return error === undefined ? { out, err } : { out, err, error: oneLineMessage(error) };
}

function scratch(files: Record<string, unknown>): string {
  const folder = mkdtempSync(join(tmpdir(), 'edet-eval-'));
  for (const [name, value] of Object.entries(files)) {
    writeFileSync(join(folder, name), typeof value === 'string' ? value : JSON.stringify(value));
  }
  return folder;
}

describe('edet eval --gt --dets', () => {
  it('prints the 12 numbers with their names and a per-class table', async () => {
    const result = await edet(['eval', '--gt', edges('gt.json'), '--dets', edges('dets.json')]);
    expect(result.error).toBeUndefined();
    const golden = JSON.parse(readFileSync(edges('golden.json'), 'utf8'));
    expect(result.out).toMatch(/^COCO bbox evaluation: 6 images, \d+ detections/);
    for (const name of ['AP', 'AP50', 'AP75', 'APs', 'APm', 'APl', 'AR1', 'AR10', 'AR100', 'ARs', 'ARm', 'ARl']) {
      expect(result.out).toMatch(new RegExp(`│ ${name} +│`));
    }
    expect(result.out).toMatch(new RegExp(`│ AP +│ ${golden.stats[0].toFixed(3)} │ AP @\\[ IoU=0\\.50:0\\.95 \\| area=all \\| maxDets=100 \\] +│`));
    expect(result.out).toMatch(/│ +7 │ unused +│ +0 │ +n\/a │ +n\/a │/);
    expect(result.out).toContain('n/a: no ground truth to measure against');
  });

  it('--json prints stats in order, and perClass', async () => {
    const result = await edet(['eval', '--gt', edges('gt.json'), '--dets', edges('dets.json'), '--json']);
    const report = JSON.parse(result.out);
    const golden = JSON.parse(readFileSync(edges('golden.json'), 'utf8'));
    expect(report.statNames).toEqual(['AP', 'AP50', 'AP75', 'APs', 'APm', 'APl', 'AR1', 'AR10', 'AR100', 'ARs', 'ARm', 'ARl']);
    report.stats.forEach((value: number, index: number) => expect(Math.abs(value - golden.stats[index])).toBeLessThanOrEqual(1e-9));
    expect(report.perClass.map((row: { categoryId: number }) => row.categoryId)).toEqual([1, 2, 3, 5, 7]);
    expect(report).toMatchObject({ images: 6, detections: JSON.parse(readFileSync(edges('dets.json'), 'utf8')).length });
    expect(result.err).toBe('');
  });

  it('reports bad input as one line naming the file', async () => {
    const gt = JSON.parse(readFileSync(edges('gt.json'), 'utf8'));
    const folder = scratch({
      'broken.json': '{"images": [',
      'empty.json': { images: [], annotations: [], categories: [{ id: 1, name: 'a' }] },
      'unknown-image.json': [{ image_id: 999, category_id: 1, bbox: [0, 0, 1, 1], score: 0.5 }],
      'unknown-category.json': [{ image_id: 10, category_id: 4, bbox: [0, 0, 1, 1], score: 0.5 }],
      'no-score.json': [{ image_id: 10, category_id: 1, bbox: [0, 0, 1, 1] }],
      'dangling.json': { ...gt, annotations: [{ ...gt.annotations[0], image_id: 11 }] },
      'bad-box.json': { ...gt, annotations: [{ ...gt.annotations[0], bbox: [1, 2] }] },
    });
    const gtFile = edges('gt.json');
    const cases: [string[], RegExp][] = [
      [['--gt', join(folder, 'missing.json'), '--dets', gtFile], /missing\.json: no such file$/],
      [['--gt', join(folder, 'broken.json'), '--dets', gtFile], /broken\.json: invalid JSON \(/],
      [['--gt', join(folder, 'empty.json'), '--dets', gtFile], /empty\.json: the dataset has no images$/],
      [['--gt', gtFile, '--dets', join(folder, 'unknown-image.json')], /unknown-image\.json: detections\[0\]\.image_id: expected an image id of the ground truth, got 999$/],
      [['--gt', gtFile, '--dets', join(folder, 'unknown-category.json')], /unknown-category\.json: detections\[0\]\.category_id: .* got 4$/],
      [['--gt', gtFile, '--dets', join(folder, 'no-score.json')], /no-score\.json: detections\[0\]\.score: expected a finite number, got undefined$/],
      [['--gt', join(folder, 'dangling.json'), '--dets', join(folder, 'unknown-image.json')], /dangling\.json: annotations\[0\]\.image_id: .* got 11$/],
      [['--gt', join(folder, 'bad-box.json'), '--dets', gtFile], /bad-box\.json: annotations\[0\]\.bbox: expected \[x, y, width, height\], 4 finite numbers, got \[1,2\]$/],
      [['--gt', gtFile], /give --gt GT\.json with --dets DETS\.json, or --data DIR/],
      [['--gt', gtFile, '--dets', gtFile, '--weights', 'w.safetensors'], /--weights only applies with --data$/],
      [['--data', folder, '--gt', gtFile], /--data .* does not go with --gt\/--dets$/],
      [['--data', folder], /instances_val\.json: no such file$/],
    ];
    for (const [args, message] of cases) {
      const result = await edet(['eval', ...args]);
      expect(result.error, args.join(' ')).toMatch(message);
      expect(result.error).not.toContain('\n');
      expect(result.out).toBe('');
    }
  });
});

describe('edet eval --data', () => {
  let folder: string;
  let dataset: CocoDataset;

  // A two-image split of BCCD in a scratch folder: images/ plus instances_val.json.
  beforeAll(() => {
    const bccd = sharedPath('datasets', 'bccd');
    const val = JSON.parse(readFileSync(join(bccd, 'instances_val.json'), 'utf8'));
    const images = val.images.slice(0, 2);
    const ids = new Set(images.map((image: { id: number }) => image.id));
    dataset = { ...val, images, annotations: val.annotations.filter((a: { image_id: number }) => ids.has(a.image_id)) };
    folder = scratch({ 'instances_val.json': dataset });
    mkdirSync(join(folder, 'images'));
    for (const image of images) copyFileSync(join(bccd, 'images', image.file_name), join(folder, 'images', image.file_name));
  });

  it('runs the bundled BCCD model over a tiny BCCD split and evaluates it', async () => {
    const result = await edet(['eval', '--data', folder, '--split', 'val', '--json', '--batch', '2']);
    expect(result.error).toBeUndefined();
    expect(result.err).not.toContain('note:');
    expect(result.err).toMatch(/model: efficientdet-d0, 3 classes, weights: .+ \(bundled\), 2 images/);
    expect(result.err).toContain('detected 2/2 images');
    const report = JSON.parse(result.out);
    expect(report.stats).toHaveLength(12);
    // Whatever the weights: each number is a fraction, or -1 where BCCD has no box of that size.
    for (const value of report.stats) expect(value === -1 || (value >= 0 && value <= 1)).toBe(true);
    expect(report.perClass.map((row: { categoryId: number; name: string }) => [row.categoryId, row.name])).toEqual([
      [1, 'RBC'],
      [2, 'WBC'],
      [3, 'Platelets'],
    ]);
    expect(report.images).toBe(2);
    expect(report.detections).toBeGreaterThan(0);
    expect(report.detections).toBeLessThanOrEqual(200);
  });

  it('detectDataset writes COCO results in the dataset\'s ids and frees every tensor', async () => {
    const categories = categoryMap(dataset.categories);
    const model = await createDetector({ compoundCoef: 0, numClasses: categories.size, notice: () => {} });
    try {
      const one = { ...dataset, images: dataset.images.slice(0, 1) };
      const before = tf.memory().numTensors;
      const detections = await detectDataset(model, one, categories, { imageFiles: [join(folder, 'images', one.images[0].file_name!)] });
      expect(tf.memory().numTensors).toBe(before + model.cachedTensorCount());
      expect(detections.length).toBeGreaterThan(0);
      expect(detections.length).toBeLessThanOrEqual(EVAL_PREDICT_OPTIONS.maxDetections);
      for (const { image_id, category_id, bbox, score } of detections) {
        expect(image_id).toBe(one.images[0].id);
        expect([1, 2, 3]).toContain(category_id);
        const [x, y, width, height] = bbox;
        expect(x >= 0 && y >= 0 && width >= 0 && height >= 0 && x + width <= 640 + 1e-9 && y + height <= 480 + 1e-9).toBe(true);
        expect(score).toBeGreaterThan(EVAL_PREDICT_OPTIONS.scoreThreshold);
      }
    } finally {
      model.dispose();
    }
  });
});
