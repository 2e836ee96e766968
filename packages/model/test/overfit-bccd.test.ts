// Overfitting check on real data: a D0 with a reduced BiFPN and heads learns two BCCD blood-smear images
// (../shared/datasets/bccd) until the loss falls by a large factor and predict() finds their boxes.
import { readFileSync } from 'node:fs';

import { createCanvas, loadImage } from '@napi-rs/canvas';
import * as tf from '@tensorflow/tfjs-core';
import { pairwiseIou } from '@edet/anchors';
import { expect, it } from 'vitest';

import { EfficientDet, letterboxImage, trainStep } from '@edet/model';
import { AdamW } from '@edet/tensor';

import { sharedPath } from '../../tensor/test/shared-fixtures.js';

const SIZE = 256;
const IMAGES = ['BloodImage_00001.jpg', 'BloodImage_00002.jpg'];

interface CocoJson {
  images: { id: number; file_name: string }[];
  annotations: { image_id: number; bbox: [number, number, number, number]; category_id: number }[];
}

async function loadExample(name: string, coco: CocoJson) {
  const image = await loadImage(readFileSync(sharedPath('datasets', 'bccd', 'images', name)));
  const canvas = createCanvas(image.width, image.height);
  const context = canvas.getContext('2d');
  context.drawImage(image, 0, 0);
  const pixels = context.getImageData(0, 0, image.width, image.height).data;
  const { input, letterbox } = letterboxImage(
    { data: new Uint8Array(pixels.buffer, pixels.byteOffset, pixels.length), width: image.width, height: image.height, channels: 4 },
    SIZE,
  );
  const scale = letterbox.resizedWidth / letterbox.width;
  const id = (coco.images.find((entry) => entry.file_name === name) as { id: number }).id;
  const rows = coco.annotations
    .filter((a) => a.image_id === id)
    .map(({ bbox: [x, y, w, h], category_id }) => [x * scale, y * scale, (x + w) * scale, (y + h) * scale, category_id - 1]);
  return { input, boxes: tf.tensor2d(rows, [rows.length, 5]) };
}

it('fits two BCCD images: the loss falls 5x and predict finds the training boxes', async () => {
  const coco = JSON.parse(readFileSync(sharedPath('datasets', 'bccd', 'instances_train.json'), 'utf8')) as CocoJson;
  const examples = await Promise.all(IMAGES.map((name) => loadExample(name, coco)));
  const x = tf.concat(examples.map((e) => e.input)) as tf.Tensor4D;
  const targets = examples.map((e) => e.boxes);
  const model = new EfficientDet({ compoundCoef: 0, numClasses: 3, fpnLayers: 1, headLayers: 1, inputSize: SIZE, seed: 5, dropConnectRate: 0 });
  const optimizer = new AdamW({ learningRate: 4e-3, weightDecay: 0 });
  const step = () => trainStep(model, optimizer, x, targets, { channelsLast: true, clipGradientNorm: 10 }).loss;
  const losses = [step()];
  // Counted after the first step, which creates the optimizer's moment variables.
  const start = tf.memory().numTensors;
  while (losses.length < 45) losses.push(step());
  expect(tf.memory().numTensors).toBe(start);
  const first = losses[0];
  const last = Math.min(...losses.slice(-5));
  expect(last, `losses: ${losses.map((l) => l.toFixed(2)).join(' ')}`).toBeLessThan(first / 5);

  // Batch statistics, as in training: running statistics move 1% per step and have not converged yet.
  const detections = await model.predict(x, { channelsLast: true, scoreThreshold: 0.3, iouThreshold: 0.5, maxDetections: 100 });
  detections.forEach((found, i) => {
    const truth = targets[i].arraySync() as number[][];
    expect(found.length).toBeGreaterThan(0);
    const iou = tf.tidy(() =>
      pairwiseIou(tf.tensor2d(truth.map((row) => row.slice(0, 4))), tf.tensor2d(found.map((d) => d.box))).arraySync(),
    ) as number[][];
    // Most ground-truth boxes are found (IoU >= 0.5 with a detection of the right class).
    const recalled = truth.filter((row, g) => found.some((d, k) => iou[g][k] >= 0.5 && d.classId === row[4])).length;
    expect(recalled / truth.length, `image ${IMAGES[i]}: ${recalled}/${truth.length} boxes found`).toBeGreaterThanOrEqual(0.6);
  });
  tf.dispose([x, ...targets, ...examples.map((e) => e.input)]);
  optimizer.dispose();
  model.dispose();
}, 600_000);
