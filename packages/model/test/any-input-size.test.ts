// Any input size, as effdet and the official TF code run it: feature maps halve with rounding up, the BiFPN
// resamples to each level's exact size, anchors take the fractional stride `size / cells`, and non-square
// `[height, width]` inputs work through forward, detect and training. At multiples of 128 nothing changes.
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import { generateAnchors } from '@edet/anchors';
import { EfficientDet, inputShape, letterboxGeometry, letterboxImage, trainStep } from '@edet/model';
import { AdamW, InvalidArgumentError } from '@edet/tensor';

const small = { compoundCoef: 0, numClasses: 3, fpnLayers: 1, headLayers: 1, seed: 31 };

/** effdet's feature sizes: `(s - 1) // 2 + 1` per level from the image size. */
function effdetFeatureSizes(size: number, levels: number): number[] {
  const sizes = [];
  let s = size;
  for (let level = 1; level <= levels; level++) {
    s = Math.floor((s - 1) / 2) + 1;
    sizes.push(s);
  }
  return sizes.slice(2);
}

/** effdet's anchors of one level and type (numpy arange centres, stride = image / feature size). */
function effdetAnchor(image: [number, number], cells: [number, number], row: number, column: number, scale: number, ratio: [number, number], anchorScale: number) {
  const strideY = image[0] / cells[0];
  const strideX = image[1] / cells[1];
  const halfX = (anchorScale * strideX * scale * ratio[0]) / 2;
  const halfY = (anchorScale * strideY * scale * ratio[1]) / 2;
  const y = strideY / 2 + row * strideY;
  const x = strideX / 2 + column * strideX;
  return [y - halfY, x - halfX, y + halfY, x + halfX];
}

describe('any input size', () => {
  it.each([
    [320, 320],
    [96, 160],
    [200, 136],
  ] as [number, number][])('%i x %i: maps halve with rounding up at every level, heads and anchors agree', (height, width) => {
    const model = new EfficientDet({ ...small, inputSize: [height, width] });
    const x = tf.randomNormal([1, 3, height, width], 0, 1, 'float32', 2) as tf.Tensor4D;
    const start = tf.memory().numTensors;
    const { backbone, fpn } = model.extractFeatures(x);
    const rows = effdetFeatureSizes(height, 7);
    const columns = effdetFeatureSizes(width, 7);
    expect(backbone.map((t) => t.shape.slice(1, 3))).toEqual([0, 1, 2].map((i) => [rows[i], columns[i]]));
    expect(fpn.map((t) => t.shape.slice(1, 3))).toEqual([0, 1, 2, 3, 4].map((i) => [rows[i], columns[i]]));
    tf.dispose([...backbone, ...fpn]);
    const [classification, regression, anchors] = model.forward(x);
    const count = 9 * rows.reduce((sum, r, i) => sum + r * columns[i], 0);
    expect(classification.shape).toEqual([1, count, 3]);
    expect(regression.shape).toEqual([1, count, 4]);
    expect(anchors.shape).toEqual([count, 4]);
    tf.dispose([classification, regression, anchors]);
    expect(tf.memory().numTensors).toBe(start + model.cachedTensorCount());
    x.dispose();
    model.dispose();
  });

  it("anchors at 320 (P3..P7 = 40, 20, 10, 5, 3) use effdet's fractional strides", () => {
    const image: [number, number] = [320, 320];
    const anchors = generateAnchors({ imageSize: image, anchorScale: 3, requireDivisible: false });
    expect(anchors.count).toBe(19206);
    expect(anchors.levels.map((level) => level.rows)).toEqual([40, 20, 10, 5, 3]);
    expect(anchors.levels[4].strideY).toBeCloseTo(320 / 3, 12);
    const ratios: [number, number][] = [
      [1, 1],
      [1.4, 0.7],
      [0.7, 1.4],
    ];
    for (const level of anchors.levels) {
      for (const [row, column, type] of [
        [0, 0, 0],
        [level.rows - 1, level.columns - 1, 8],
        [Math.floor(level.rows / 2), 1 % level.columns, 4],
      ]) {
        const expected = effdetAnchor(image, [level.rows, level.columns], row, column, 2 ** (Math.floor(type / 3) / 3), ratios[type % 3], 3);
        const at = (level.offset + (row * level.columns + column) * 9 + type) * 4;
        const actual = Array.from(anchors.boxes.subarray(at, at + 4));
        actual.forEach((value, i) => expect(Math.abs(value - expected[i])).toBeLessThan(1e-3));
      }
    }
  });

  it('at multiples of 128 the relaxed anchors equal the strict ones bit for bit', () => {
    for (const imageSize of [
      [512, 512],
      [384, 640],
    ] as [number, number][]) {
      const strict = generateAnchors({ imageSize });
      const relaxed = generateAnchors({ imageSize, requireDivisible: false });
      expect(Array.from(relaxed.boxes)).toEqual(Array.from(strict.boxes));
    }
  });

  it('letterboxes to [height, width]: the limiting side fills the frame, the image stays top-left', () => {
    expect(letterboxGeometry(1920, 1080, [384, 640])).toEqual({ width: 1920, height: 1080, resizedWidth: 640, resizedHeight: 360 });
    expect(letterboxGeometry(1000, 1000, [384, 640])).toEqual({ width: 1000, height: 1000, resizedWidth: 384, resizedHeight: 384 });
    // A square frame as before: the long side becomes the size.
    expect(letterboxGeometry(500, 374, 512)).toEqual(letterboxGeometry(500, 374, [512, 512]));
    expect(letterboxGeometry(374, 500, 512)).toEqual({ width: 374, height: 500, resizedWidth: 382, resizedHeight: 512 });
    const image = { data: new Uint8Array(40 * 30 * 3).fill(200), width: 40, height: 30, channels: 3 as const };
    const { input, letterbox } = letterboxImage(image, [48, 80]);
    expect(input.shape).toEqual([1, 48, 80, 3]);
    expect(letterbox).toEqual({ width: 40, height: 30, resizedWidth: 64, resizedHeight: 48 });
    input.dispose();
    expect(() => letterboxImage(image, [48, 0])).toThrow(InvalidArgumentError);
    expect(() => letterboxImage(image, [48, 0])).toThrow(/^size: expected a positive integer \(square side\) or \[height, width\]/);
  });

  it('detect letterboxes to a non-square config and maps boxes back inside the image', async () => {
    const model = new EfficientDet({ ...small, inputSize: [96, 160] });
    expect(inputShape(model.config.inputSize)).toEqual([96, 160]);
    const image = { data: new Uint8Array(150 * 100 * 3).map((_, i) => (i * 37) % 256), width: 150, height: 100, channels: 3 as const };
    const start = tf.memory().numTensors;
    const [detections] = await model.detect(image, { scoreThreshold: 0, maxDetections: 20, clipToImage: true });
    expect(detections.length).toBeGreaterThan(0);
    for (const { box } of detections) {
      expect(box[0]).toBeGreaterThanOrEqual(0);
      expect(box[2]).toBeLessThanOrEqual(150);
      expect(box[3]).toBeLessThanOrEqual(100);
    }
    expect(tf.memory().numTensors).toBe(start + model.cachedTensorCount());
    model.dispose();
  });

  it('trains at [96, 160]: finite losses, gradients reach every level, no leaked tensors', () => {
    const model = new EfficientDet({ ...small, inputSize: [96, 160] });
    const optimizer = new AdamW({ learningRate: 1e-3, weightDecay: 0 });
    const x = tf.randomNormal([2, 3, 96, 160], 0, 1, 'float32', 4) as tf.Tensor4D;
    const targets = [tf.tensor2d([[8, 10, 60, 58, 1]]), tf.tensor2d([[100, 20, 150, 90, 2]])];
    const variables = model.namedParameters();
    const { value, grads } = tf.variableGrads(() => model.getLoss(x, targets), [...variables.values()]);
    expect(Number.isFinite(value.dataSync()[0])).toBe(true);
    for (const name of ['bifpn.0.conv7_down.pointwise_conv.conv.weight', 'bifpn.0.conv3_up.pointwise_conv.conv.weight', 'backbone_net.model._conv_stem.conv.weight']) {
      const grad = grads[(variables.get(name) as tf.Variable).name];
      expect(tf.tidy(() => tf.sum(tf.abs(grad)).dataSync()[0]), name).toBeGreaterThan(0);
    }
    tf.dispose([value, ...Object.values(grads)]);
    trainStep(model, optimizer, x, targets);
    const start = tf.memory().numTensors;
    const step = trainStep(model, optimizer, x, targets);
    expect(tf.memory().numTensors).toBe(start);
    expect(Number.isFinite(step.loss)).toBe(true);
    tf.dispose([x, ...targets]);
    optimizer.dispose();
    model.dispose();
  });
});
