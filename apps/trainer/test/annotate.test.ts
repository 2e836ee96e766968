import type { Detection, RgbImage } from '@edet/model';
import { decodeImage } from '@edet/data/node';
import { describe, expect, it } from 'vitest';

import { labeller } from '../src/classes.js';
import { annotateImage } from '../src/draw/annotate.js';
import { labelFontFamily } from '../src/draw/fonts.js';
import { classColour } from '../src/draw/palette.js';
import { encodeCanvas } from '../src/image/encode.js';

/** A uniform grey RGB image. */
function grey(width: number, height: number, level = 128): RgbImage {
  return { data: new Uint8Array(width * height * 3).fill(level), width, height, channels: 3 };
}

const labelOf = labeller(['person', 'bicycle', 'car', 'motorcycle']);

describe('annotateImage', () => {
  const image = grey(200, 150);
  const detection: Detection = { box: [40, 50, 160, 120], score: 0.87, classId: 3 };

  function pixelAt(canvas: ReturnType<typeof annotateImage>, x: number, y: number): number[] {
    return Array.from(canvas.getContext('2d').getImageData(x, y, 1, 1).data.subarray(0, 3));
  }

  it("strokes the box edge in the class's colour and leaves the inside alone", () => {
    const canvas = annotateImage(image, [detection], { labelOf, fontFamily: null });
    expect([canvas.width, canvas.height]).toEqual([200, 150]);
    const colour = Array.from(classColour(3));
    // The 2-pixel line is centred on the edge, so the pixels at x = 39 and x = 40 are fully covered.
    for (const [x, y] of [[40, 85], [39, 85], [160, 85], [100, 50], [100, 120]]) {
      expect(pixelAt(canvas, x, y)).toEqual(colour);
    }
    expect(pixelAt(canvas, 100, 85)).toEqual([128, 128, 128]);
    expect(pixelAt(canvas, 10, 10)).toEqual([128, 128, 128]);
  });

  it('gives different classes different colours', () => {
    const colours = new Set(Array.from({ length: 90 }, (_, id) => classColour(id).join(',')));
    expect(colours.size).toBe(90);
  });

  it('draws a "label score" tag above the box when a font is installed', () => {
    const family = labelFontFamily();
    if (family === undefined) return; // no system fonts: boxes only, covered above
    const canvas = annotateImage(image, [detection], { labelOf });
    const tag = canvas.getContext('2d').getImageData(40, 30, 80, 19).data;
    const colour = classColour(3);
    let filled = 0;
    let text = 0;
    for (let index = 0; index < tag.length; index += 4) {
      const pixel = [tag[index], tag[index + 1], tag[index + 2]];
      if (pixel.every((value, channel) => value === colour[channel])) filled++;
      else if (!pixel.every((value) => value === 128)) text++;
    }
    expect(filled).toBeGreaterThan(100);
    expect(text).toBeGreaterThan(20);
  });

  it('survives boxes that leave the image and an empty list', async () => {
    const outside: Detection = { box: [-20, -10, 250, 400], score: 0.3, classId: 0 };
    const canvas = annotateImage(image, [outside], { labelOf });
    const { image: decoded } = await decodeImage(await encodeCanvas(canvas, 'png'), 'annotated.png');
    expect([decoded.width, decoded.height]).toEqual([200, 150]);
    const plain = annotateImage(image, [], { labelOf });
    expect(Array.from(plain.getContext('2d').getImageData(0, 0, 200, 150).data.filter((_, i) => i % 4 !== 3)).every((v) => v === 128)).toBe(true);
  });

  it('encodes JPEG too', async () => {
    const canvas = annotateImage(image, [detection], { labelOf });
    const { format, image: decoded } = await decodeImage(await encodeCanvas(canvas, 'jpeg'), 'annotated.jpg');
    expect(format).toBe('jpeg');
    expect([decoded.width, decoded.height]).toEqual([200, 150]);
  });
});
