import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EfficientDet, type Letterbox, type RgbImage, letterboxImage } from '@edet/model';

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
  let letterbox: Letterbox;

  beforeAll(async () => {
    model.loadSafetensors(await contrastWeights());
    image = await decodeSample('000000000136.jpg');
    const prepared = letterboxImage(image, model.config.inputSize);
    const input = prepared.input;
    letterbox = prepared.letterbox;
    const outputs = model.forward(input, { channelsLast: true });
    try {
      candidates = await candidatesFromOutputs(outputs[0], outputs[1], outputs[2], model.config.inputSize);
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
    const [expected] = await model.detect(image, { scoreThreshold, iouThreshold, maxDetections: 100, clipToImage: true });
    const selected = selectDetections(candidates, letterbox, { scoreThreshold, iouThreshold, maxDetections: 100 });
    expect(expected.length).toBeGreaterThan(0);
    expect(selected).toEqual(expected);
  });
});

describe('selectDetections on hand-made candidates', () => {
  it('maps to the image, clips, and leaves out boxes with no area (wholly left of or above the input, or in the padding)', () => {
    // Network-input boxes as postprocess clips them: x1, y1 at least 0, x2, y2 at most size - 1.
    const boxes = [
      [10, 10, 50, 60], // a box on the image
      [0, 0, -92, 500], // lay wholly left of the input: x2 < x1 after clipping
      [100, 0, 140, -3], // wholly above: y2 < y1
      [200, 200, 200, 260], // zero width
      [300, 300, 340, 350],
      [480, 100, 499, 140], // wholly in the padding right of the image (resized width 480)
      [200, 440, 260, 470], // reaches into the padding below the image: clipped to its bottom edge
    ];
    // A 960x900 image letterboxed to 500: resized 480x450, so boxes map back at twice their size.
    const letterbox: Letterbox = { width: 960, height: 900, resizedWidth: 480, resizedHeight: 450 };
    const candidates: Candidates = {
      boxes: Float32Array.from(boxes.flat()),
      scores: Float32Array.from([0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3]),
      classIds: Int32Array.from([0, 1, 2, 0, 1, 2, 2]),
      capped: false,
    };
    const shown = selectDetections(candidates, letterbox, { scoreThreshold: 0.1, iouThreshold: 0.5, maxDetections: 100 });
    expect(shown).toEqual([
      { box: [20, 20, 100, 120], score: Math.fround(0.9), classId: 0 },
      { box: [600, 600, 680, 700], score: Math.fround(0.5), classId: 1 },
      { box: [400, 880, 520, 900], score: Math.fround(0.3), classId: 2 },
    ]);
  });
});
