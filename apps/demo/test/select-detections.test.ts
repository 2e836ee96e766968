import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EfficientDet, type RgbImage, letterboxImage } from '@edet/model';

import { MAX_CANDIDATES, UNTRAINED_MODEL } from '../src/config.js';
import type { Candidates } from '../src/protocol.js';
import { selectDetections } from '../src/page/select-detections.js';
import { candidatesFromOutputs } from '../src/worker/candidates.js';
import { contrastWeights } from './support/contrast-weights.js';
import { decodeSample } from './support/node-reference.js';

// The demo runs the network once and refilters its candidates in the page; that must give exactly what
// model.detect gives for every slider position the list can serve. Checked here in Node, one backend, so
// equality is exact (the browser tests then compare backends within tolerances).

describe('selectDetections on the worker candidates', () => {
  const model = new EfficientDet({ ...UNTRAINED_MODEL });
  let image: RgbImage;
  let candidates: Candidates;

  beforeAll(async () => {
    model.loadSafetensors(await contrastWeights());
    image = await decodeSample('000000000136.jpg');
    const { input, letterbox } = letterboxImage(image, model.config.inputSize);
    const outputs = model.forward(input, { channelsLast: true });
    try {
      candidates = await candidatesFromOutputs(outputs[0], outputs[1], outputs[2], model.config.inputSize, letterbox);
    } finally {
      tf.dispose([input, ...outputs]);
    }
  }, 60_000);
  afterAll(() => model.dispose());

  it('keeps the best candidates, best first, at most MAX_CANDIDATES', () => {
    const count = candidates.scores.length;
    expect(count).toBeLessThanOrEqual(MAX_CANDIDATES);
    expect(candidates.capped).toBe(count === MAX_CANDIDATES);
    for (let i = 1; i < count; i++) expect(candidates.scores[i]).toBeLessThanOrEqual(candidates.scores[i - 1]);
  });

  it.each([
    [0.3, 0.5],
    [0.35, 0.2],
    [0.25, 0.8],
  ])('equals model.detect at score > %s, IoU %s', async (scoreThreshold, iouThreshold) => {
    const lowest = candidates.scores[candidates.scores.length - 1];
    expect(!candidates.capped || lowest < scoreThreshold).toBe(true);
    const [expected] = await model.detect(image, { scoreThreshold, iouThreshold, maxDetections: 100 });
    const selected = selectDetections(candidates, { scoreThreshold, iouThreshold, maxDetections: 100 });
    expect(expected.length).toBeGreaterThan(0);
    expect(selected).toEqual(expected);
  });
});

describe('selectDetections on hand-made candidates', () => {
  it('leaves out boxes that clipping left with no area (wholly left of or above the input)', () => {
    // Network-input boxes as postprocess clips them: x1, y1 at least 0, x2, y2 at most size - 1.
    const boxes = [
      [10, 10, 50, 60], // a box on the image
      [0, 0, -92, 500], // lay wholly left of the input: x2 < x1 after clipping
      [100, 0, 140, -3], // wholly above: y2 < y1
      [200, 200, 200, 260], // zero width
      [300, 300, 340, 350],
    ];
    const candidates: Candidates = {
      boxes: Float32Array.from(boxes.flat()),
      originalBoxes: Float64Array.from(boxes.flat().map((value) => value * 2)),
      scores: Float32Array.from([0.9, 0.8, 0.7, 0.6, 0.5]),
      classIds: Int32Array.from([0, 1, 2, 0, 1]),
      capped: false,
    };
    const shown = selectDetections(candidates, { scoreThreshold: 0.1, iouThreshold: 0.5, maxDetections: 100 });
    expect(shown).toEqual([
      { box: [20, 20, 100, 120], score: Math.fround(0.9), classId: 0 },
      { box: [600, 600, 680, 700], score: Math.fround(0.5), classId: 1 },
    ]);
  });
});
