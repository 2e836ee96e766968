import { expect, it } from 'vitest';

import type { UnfinishedRun } from '../src/train/checkpoint-store.js';
import { describeUnfinishedRun } from '../src/train/resume-offer.js';

it('names the stored run, its images and classes, and how far it got', () => {
  const sample = { imageId: 1, file: 'a.jpg', name: 'a.jpg', width: 10, height: 10, boxes: [] };
  const found = {
    run: {
      id: 'run',
      startedAt: '2026-01-02T03:04:05.000Z',
      settings: { model: 'tf_efficientdet_lite0', inputSize: 128, classNames: ['RBC', 'WBC'], steps: 40, batchSize: 2, learningRate: 0.001, seed: 42, augment: true, backend: 'wasm' },
      samples: [sample, { ...sample, imageId: 2, file: 'b.jpg', name: 'b.jpg' }],
      validation: [],
      images: {},
    },
    summary: { runId: 'run', savedAt: '2026-01-02T03:14:05.000Z', progress: { epoch: 3, batchInEpoch: 0, step: 12 }, sha256: '00' },
  } as unknown as UnfinishedRun;
  const text = describeUnfinishedRun(found);
  expect(text).toContain('tf_efficientdet_lite0 at 128 px on 2 images (RBC, WBC), step 12 of 40 (epoch 3), saved ');
  expect(text).toContain(new Date('2026-01-02T03:14:05.000Z').toLocaleString());
});
