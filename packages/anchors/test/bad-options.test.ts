import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import { mapToOriginal, nms, postprocess } from '@edet/anchors';
import { InvalidArgumentError } from '@edet/tensor';

// NMS, postprocessing and the mapping back to the image name every bad option or argument with its
// accepted range, before any tensor is made.
describe('bad options and arguments', () => {
  const boxes = [0, 0, 10, 10, 1, 1, 11, 11];
  const scores = [0.9, 0.8];

  it.each([
    [{ iouThreshold: 2 }, 'iouThreshold: expected a number in [0, 1], got 2'],
    [{ iouThreshold: NaN }, 'iouThreshold: expected a number in [0, 1], got NaN'],
    [{ scoreThreshold: NaN }, 'scoreThreshold: expected a number (not NaN), got NaN'],
    [{ maxDetections: 1.5 }, 'maxDetections: expected an integer >= 0 or Infinity, got 1.5'],
    [{ mode: 'hard' }, "mode: expected one of 'per-class', 'agnostic', 'soft', got \"hard\""],
    [{ softNmsSigma: Infinity }, 'softNmsSigma: expected a finite number > 0, got Infinity'],
    [{ softNmsSigma: -1 }, 'softNmsSigma: expected a finite number > 0, got -1'],
  ] as [Record<string, unknown>, string][])('nms %o', (options, message) => {
    expect(() => nms(boxes, scores, null, options)).toThrow(InvalidArgumentError);
    expect(() => nms(boxes, scores, null, options)).toThrow(message);
  });

  it('nms: scores and boxes that are not lists, options that are not an object', () => {
    expect(() => nms(boxes, null as never)).toThrow('scores: expected an array (or typed array) of numbers, got null');
    expect(() => nms(undefined as never, scores)).toThrow(/^boxes: expected a flat \[x1, y1, x2, y2, \.\.\.\] list/);
    expect(() => nms(boxes, scores, null, 'soft' as never)).toThrow('options: expected an object of options, got "soft"');
    // A score threshold of -Infinity (the default) stays accepted: scores may be logits.
    expect(nms(boxes, scores, null, { scoreThreshold: -Infinity, iouThreshold: 1 }).indices).toEqual([0, 1]);
  });

  it('postprocess: options checked before any tensor is made, tensors that are not tensors', async () => {
    const classification = tf.zeros([1, 2, 3]);
    const regression = tf.zeros([1, 2, 4]);
    const anchors = tf.tensor2d([0, 0, 10, 10, 1, 1, 11, 11], [2, 4]);
    const start = tf.memory().numTensors;
    for (const [options, message] of [
      [{ imageSize: [64, 64], scoreThreshold: -1 }, 'scoreThreshold: expected a number in [0, 1], got -1'],
      [{ imageSize: [64, NaN] }, 'imageSize[1]: expected a finite number > 0, got NaN'],
      [{ imageSize: 64 }, 'imageSize: expected [height, width], got 64'],
      [{ imageSize: [64, 64], nms: 'none' }, "nms: expected one of 'per-class', 'agnostic', 'soft', got \"none\""],
    ] as [never, string][]) {
      await expect(postprocess(classification, regression, anchors, options)).rejects.toThrow(InvalidArgumentError);
      await expect(postprocess(classification, regression, anchors, options)).rejects.toThrow(message);
    }
    await expect(postprocess([[1]] as never, regression, anchors, { imageSize: [64, 64] })).rejects.toThrow(
      'classification: expected a tf.Tensor, got an array of length 1',
    );
    expect(tf.memory().numTensors).toBe(start);
    tf.dispose([classification, regression, anchors]);
  });

  it('mapToOriginal: detections, scale and clipTo of the wrong kind', () => {
    const unit = { scaleX: 1, scaleY: 1 };
    expect(() => mapToOriginal(null as never, unit)).toThrow('detections: expected an array of detections, got null');
    expect(() => mapToOriginal([], null as never)).toThrow('scale: expected an object { scaleX, scaleY }, got null');
    expect(() => mapToOriginal([], { scaleX: Infinity, scaleY: 1 })).toThrow('scale.scaleX: expected a finite number > 0, got Infinity');
    expect(() => mapToOriginal([], unit, { clipTo: { width: Infinity, height: 5 } })).toThrow(InvalidArgumentError);
    expect(() => mapToOriginal([], unit, { clipTo: null as never })).toThrow('clipTo: expected a positive width and height, got null');
  });
});
