import { readFileSync } from 'node:fs';

import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import { anchorTensor, mapToOriginal, postprocess } from '@edet/anchors';

import { goldenPath, loadGolden } from './support/golden.js';

interface ReferenceDetections {
  orig_wh: [number, number];
  resized_wh: [number, number];
  num_detections: number;
  detections: { box_xyxy: [number, number, number, number]; score: number; class_id: number }[];
}

describe('postprocess against the zylo117 reference detections', () => {
  it('reproduces the 26 detections of 000000000136.jpg (order, classes, boxes, scores)', async () => {
    const referenceText = readFileSync(goldenPath('000000000136.detections.json'), 'utf8');
    const reference = JSON.parse(referenceText) as ReferenceDetections;
    const before = tf.memory().numTensors;
    const { classification, regression } = loadGolden(['classification', 'regression']);
    const anchors = anchorTensor({ imageSize: [512, 512] });
    const afterInputs = tf.memory().numTensors;
    const [detections] = await postprocess(classification, regression, anchors, {
      imageSize: [512, 512],
      scoreThreshold: 0.2,
      iouThreshold: 0.2,
      nms: 'per-class',
    });
    expect(tf.memory().numTensors).toBe(afterInputs);
    tf.dispose([classification, regression, anchors]);
    expect(tf.memory().numTensors).toBe(before);

    const [origW, origH] = reference.orig_wh;
    const [newW, newH] = reference.resized_wh;
    const mapped = mapToOriginal(detections, { scaleX: newW / origW, scaleY: newH / origH });

    expect(mapped).toHaveLength(reference.num_detections);
    const referenceClasses = reference.detections.map((detection) => detection.class_id);
    expect(mapped.map((detection) => detection.classId)).toEqual(referenceClasses);
    let boxError = 0;
    let scoreError = 0;
    mapped.forEach((detection, index) => {
      const expected = reference.detections[index];
      detection.box.forEach((value, k) => (boxError = Math.max(boxError, Math.abs(value - expected.box_xyxy[k]))));
      scoreError = Math.max(scoreError, Math.abs(detection.score - expected.score));
    });
    expect(boxError).toBeLessThan(0.01);
    expect(scoreError).toBeLessThan(1e-4);
  });
});
