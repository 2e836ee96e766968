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
