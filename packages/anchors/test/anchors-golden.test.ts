import { describe, expect, it } from 'vitest';

import { generateAnchors } from '@edet/anchors';

import { loadGolden } from './support/golden.js';

describe('generateAnchors against the zylo117 golden anchors', () => {
  it('equals the reference [1, 49104, 4] anchors bit for bit', () => {
    const { anchors } = loadGolden(['anchors']);
    expect(anchors.shape).toEqual([1, 49104, 4]);
    const golden = anchors.dataSync() as Float32Array;
    anchors.dispose();
    const { boxes } = generateAnchors({ imageSize: [512, 512] });
    const ours = new Uint32Array(boxes.buffer, boxes.byteOffset, boxes.length);
    const theirs = new Uint32Array(golden.buffer, golden.byteOffset, golden.length);
    expect(ours.length).toBe(theirs.length);
    const first = ours.findIndex((bits, index) => bits !== theirs[index]);
    // Report the first differing value rather than a 196k-element diff.
    expect(first === -1 ? null : { index: first, ours: boxes[first], golden: golden[first] }).toBeNull();
  });
});
