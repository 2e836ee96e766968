import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import { InvalidArgumentError } from '@edet/tensor';
import { anchorCount, anchorTensor, generateAnchors } from '@edet/anchors';

describe('generateAnchors', () => {
  it('starts with the hand-computed P3 anchors of the first cell', () => {
    const { boxes } = generateAnchors({ imageSize: [512, 512] });
    // Stride 8, centre (4, 4): scale 1 ratio (1,1) has half extent 16; ratio (1.4, 0.7) has 22.4 x 11.2.
    expect(Array.from(boxes.subarray(0, 8))).toEqual(
      [-12, -12, 20, 20, -7.2, -18.4, 15.2, 26.4].map((value) => Math.fround(value)),
    );
  });

  it('orders level -> row -> column -> type, with the level layout', () => {
    const anchors = generateAnchors({ imageSize: [512, 256] });
    expect(anchors.anchorsPerCell).toBe(9);
    expect(anchors.levels.map((level) => [level.level, level.rows, level.columns, level.offset])).toEqual([
      [3, 64, 32, 0],
      [4, 32, 16, 64 * 32 * 9],
      [5, 16, 8, 64 * 32 * 9 + 32 * 16 * 9],
      [6, 8, 4, 64 * 32 * 9 + 32 * 16 * 9 + 16 * 8 * 9],
      [7, 4, 2, 64 * 32 * 9 + 32 * 16 * 9 + 16 * 8 * 9 + 8 * 4 * 9],
    ]);
    // The 10th anchor is cell (row 0, column 1): x moves by one stride, y does not.
    expect(Array.from(anchors.boxes.subarray(36, 40))).toEqual([-12, -4, 20, 28]);
    // The first anchor of row 1 comes after the 32 cells of row 0.
    expect(Array.from(anchors.boxes.subarray(32 * 36, 32 * 36 + 4))).toEqual([-4, -12, 28, 20]);
    // P7's first anchor: stride 128, centre 64, half extent 4 * 128 / 2 = 256.
    const p7 = anchors.levels[4].offset * 4;
    expect(Array.from(anchors.boxes.subarray(p7, p7 + 4))).toEqual([-192, -192, 320, 320]);
  });

  it('counts 49104 anchors at 512 and 9441 at 224 (the feature-map cells)', () => {
    expect(anchorCount([512, 512])).toBe(49104);
    expect(generateAnchors({ imageSize: [512, 512] }).count).toBe(49104);
    // 224 -> P3..P7 maps of 28, 14, 7, 4, 2 cells (ceil, as TF-SAME convs and pools produce).
    expect(anchorCount([224, 224])).toBe(9 * (28 ** 2 + 14 ** 2 + 7 ** 2 + 4 ** 2 + 2 ** 2));
    expect(anchorCount([224, 224])).toBe(9441);
    const relaxed = generateAnchors({ imageSize: [224, 224], requireDivisible: false });
    expect(relaxed.count).toBe(9441);
    expect(relaxed.boxes.length).toBe(9441 * 4);
    expect(anchorCount([512, 512], { minLevel: 3, maxLevel: 8 })).toBe(49104 + 9 * 4);
  });

  it('rejects sizes the largest stride does not divide unless asked not to', () => {
    expect(() => generateAnchors({ imageSize: [224, 224] })).toThrow(InvalidArgumentError);
    expect(() => generateAnchors({ imageSize: [512, 500] })).toThrow(
      /imageSize: expected both dimensions divisible by the largest stride 128/,
    );
    expect(() => generateAnchors({ imageSize: [0, 512] })).toThrow(InvalidArgumentError);
    expect(() => generateAnchors({ imageSize: [512, 512], scales: [] })).toThrow(/scales/);
  });

  it('returns a fresh copy per call, so callers may modify it', () => {
    const first = generateAnchors({ imageSize: [256, 256] });
    first.boxes[0] = 1234;
    expect(generateAnchors({ imageSize: [256, 256] }).boxes[0]).toBe(-12);
  });

  it('honours anchorScale, scales and ratios', () => {
    const { boxes, count } = generateAnchors({
      imageSize: [128, 128],
      minLevel: 7,
      maxLevel: 7,
      anchorScale: 5,
      scales: [1],
      ratios: [[2, 1]],
    });
    expect(count).toBe(1);
    // base 5 * 128 = 640: half width 640, half height 320, centre 64.
    expect(Array.from(boxes)).toEqual([-256, -576, 384, 704]);
  });

  it('anchorTensor makes a new [A, 4] float32 tensor equal to the array', () => {
    const before = tf.memory().numTensors;
    const tensor = anchorTensor({ imageSize: [256, 256] });
    expect(tensor.shape).toEqual([anchorCount([256, 256]), 4]);
    expect(tensor.dtype).toBe('float32');
    const data = tensor.dataSync() as Float32Array;
    const expected = generateAnchors({ imageSize: [256, 256] }).boxes;
    // Compare the bytes: a deep equality over 44k elements is slow in the matcher.
    expect(Buffer.from(data.buffer, data.byteOffset, data.byteLength).equals(Buffer.from(expected.buffer))).toBe(true);
    tensor.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
