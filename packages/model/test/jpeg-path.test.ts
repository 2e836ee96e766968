// The full path from a JPEG file: decode (skia's libjpeg-turbo, not the reference's OpenCV libjpeg),
// letterbox, normalise. Decoders differ by a few grey levels, so the input is compared with a tolerance a
// decoder difference allows, and the detections must come out the same.
import { readFileSync } from 'node:fs';

import { createCanvas, loadImage } from '@napi-rs/canvas';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type Detection, EfficientDet, letterboxImage, loadCheckpoint, mapToOriginal, type RgbImage } from '@edet/model';
import { readSafetensors } from '@edet/safetensors';

import { sharedPath } from '../../tensor/test/shared-fixtures.js';

async function decode(path: string): Promise<RgbImage> {
  const image = await loadImage(readFileSync(path));
  const canvas = createCanvas(image.width, image.height);
  const context = canvas.getContext('2d');
  context.drawImage(image, 0, 0);
  const { data } = context.getImageData(0, 0, image.width, image.height);
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: image.width, height: image.height, channels: 4 };
}

describe('JPEG path (decode + preprocess) on 000000000136.jpg', () => {
  let model: EfficientDet;
  let golden: Record<string, tf.Tensor>;
  let image: RgbImage;

  beforeAll(async () => {
    model = new EfficientDet({ compoundCoef: 0 });
    loadCheckpoint(model, readFileSync(sharedPath('weights', 'efficientdet-d0-synthetic.safetensors')));
    golden = readSafetensors(readFileSync(sharedPath('golden', 'd0-synthetic', '000000000136.golden.safetensors'))).tensors;
    image = await decode(sharedPath('images', '000000000136.jpg'));
  });
  afterAll(() => {
    model?.dispose();
    tf.dispose(Object.values(golden ?? {}));
  });

  it('letterbox geometry and input tensor match the reference within decoder tolerance', () => {
    const { input, letterbox } = letterboxImage(image, 512);
    expect(letterbox).toEqual({ width: 500, height: 374, resizedWidth: 512, resizedHeight: 382 });
    const [meanDiff, maxDiff, paddingMax] = tf.tidy(() => {
      const reference = tf.transpose(golden.input, [0, 2, 3, 1]);
      const diff = tf.abs(tf.sub(input, reference));
      const padding = tf.slice(input, [0, 382, 0, 0], [1, 130, 512, 3]);
      return [tf.mean(diff).dataSync()[0], tf.max(diff).dataSync()[0], tf.max(tf.abs(padding)).dataSync()[0]];
    });
    input.dispose();
    // One grey level is 1/255/0.225 = 0.0174 in normalised units: a few levels at most, under one on average.
    expect(maxDiff).toBeLessThan(0.2);
    expect(meanDiff).toBeLessThan(0.0174);
    expect(paddingMax).toBe(0);
  });

  it('detect on the decoded JPEG gives the reference detections', async () => {
    const reference = JSON.parse(readFileSync(sharedPath('golden', 'd0-synthetic', '000000000136.detections.json'), 'utf8'));
    const [detections] = await model.detect(image, { scoreThreshold: 0.2, iouThreshold: 0.2, clipToImage: false }); // the reference does not clip to the image
    expect(detections.map((d) => d.classId)).toEqual(reference.detections.map((d: { class_id: number }) => d.class_id));
    detections.forEach((d, i) => {
      expect(Math.abs(d.score - reference.detections[i].score)).toBeLessThan(2e-3);
      d.box.forEach((v, k) => expect(Math.abs(v - reference.detections[i].box_xyxy[k])).toBeLessThan(0.5));
    });
  });

  it('detect clips to the image by default, as edet detect and edet eval show boxes', async () => {
    const reference = JSON.parse(readFileSync(sharedPath('golden', 'd0-synthetic', '000000000136.detections.json'), 'utf8'));
    const clippedReference = mapToOriginal(
      reference.detections.map((d: { class_id: number; score: number; box_xyxy: Detection['box'] }) => ({ box: d.box_xyxy, score: d.score, classId: d.class_id })),
      { scaleX: 1, scaleY: 1 },
      { clipTo: { width: image.width, height: image.height } },
    );
    const [detections] = await model.detect(image, { scoreThreshold: 0.2, iouThreshold: 0.2 });
    expect(detections.length).toBe(clippedReference.length);
    expect(Math.max(...detections.map((d) => d.box[3]))).toBeLessThanOrEqual(image.height); // the reference reaches 385.6
    detections.forEach((d, i) => d.box.forEach((v, k) => expect(Math.abs(v - clippedReference[i].box[k])).toBeLessThan(0.5)));
  });
});
