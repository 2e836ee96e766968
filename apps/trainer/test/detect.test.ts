import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import { runInferBenchmark } from '../src/bench/infer.js';
import { runDetect, type DetectOptions } from '../src/commands/detect.js';
import { decodeImage } from '../src/image/decode.js';
import { readInputFile } from '../src/files.js';
import { createDetector } from '../src/model.js';
import { SAMPLES_DIRECTORY } from '../src/samples.js';

// In-process runs of the pipeline behind `edet detect` and `edet bench`, for what a spawned CLI cannot show:
// that no tensor outlives a call.

const sample = join(SAMPLES_DIRECTORY, '000000000136.jpg');

describe('detection in-process', () => {
  it('model.detect on a decoded sample leaves no tensor behind', async () => {
    const notices: string[] = [];
    const model = await createDetector({ compoundCoef: 0, numClasses: 90, notice: (line) => notices.push(line) });
    try {
      expect(notices).toHaveLength(1);
      expect(notices[0]).toMatch(/untrained weights \(seed 42\).*meaningless/);
      const { image } = await decodeImage(await readInputFile(sample), sample);
      const before = tf.memory().numTensors;
      const [detections] = await model.detect([image], { scoreThreshold: 0.2 });
      expect(tf.memory().numTensors).toBe(before);
      expect(Array.isArray(detections)).toBe(true);
    } finally {
      model.dispose();
    }
  });

  it('runDetect reports JSON, writes the annotated image and frees its model', async () => {
    const out = mkdtempSync(join(tmpdir(), 'edet-detect-'));
    let stdout = '';
    let stderr = '';
    const options: DetectOptions = { classes: 'coco90', coef: 0, scoreThreshold: 0.2, iouThreshold: 0.2, nms: 'per-class', maxDetections: 100, json: true, out };
    const before = tf.memory().numTensors;
    const reports = await runDetect([sample], options, { out: (text) => void (stdout += text), err: (text) => void (stderr += text) });
    expect(tf.memory().numTensors).toBe(before);
    expect(JSON.parse(stdout)).toEqual(reports);
    expect(reports).toHaveLength(1);
    expect(reports[0].image).toBe(sample);
    expect(reports[0].detections.length).toBeLessThanOrEqual(100);
    for (const { box } of reports[0].detections) {
      expect(box[0] >= 0 && box[0] <= box[2] && box[2] <= 500 && box[1] >= 0 && box[1] <= box[3] && box[3] <= 374).toBe(true);
    }
    expect(stderr).toContain('untrained');
    expect(readdirSync(out)).toEqual(['000000000136.jpg']);
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
