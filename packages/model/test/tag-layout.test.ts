import { describe, expect, it } from 'vitest';

import { placeTags, type TagRect } from '../src/tag-layout.js';
import { createRandom } from '@edet/backbone-efficientnet';

const overlap = (a: TagRect, b: TagRect) =>
  a.left < b.left + b.width && b.left < a.left + a.width && a.top < b.top + b.height && b.top < a.top + a.height;

describe('placeTags', () => {
  const image = { width: 200, height: 100 };

  it('puts a lone tag above its box, or inside the box at the top edge of the image', () => {
    expect(placeTags([{ box: [50, 40, 90, 80], width: 30, height: 10 }], image)).toEqual([{ left: 50, top: 30, width: 30, height: 10 }]);
    expect(placeTags([{ box: [50, 5, 90, 80], width: 30, height: 10 }], image)).toEqual([{ left: 50, top: 5, width: 30, height: 10 }]);
  });

  it('shifts a tag left at the right edge of the image', () => {
    expect(placeTags([{ box: [190, 40, 200, 60], width: 30, height: 10 }], image)[0]).toEqual({ left: 170, top: 30, width: 30, height: 10 });
  });

  it('moves the second of two boxes with the same top edge to another corner', () => {
    const [first, second] = placeTags(
      [
        { box: [50, 40, 90, 80], width: 30, height: 10 },
        { box: [55, 40, 95, 70], width: 30, height: 10 },
      ],
      image,
    );
    expect(first).toEqual({ left: 50, top: 30, width: 30, height: 10 });
    // Above collides with the first tag; just inside its own top edge is free.
    expect(second).toEqual({ left: 55, top: 40, width: 30, height: 10 });
  });

  it('leaves a tag out when every place is taken, keeping the earlier (better) one', () => {
    const box = [50, 40, 90, 80];
    const tags = placeTags(Array.from({ length: 5 }, () => ({ box, width: 30, height: 10 })), image);
    expect(tags.filter((tag) => tag !== null)).toHaveLength(4);
    expect(tags[4]).toBeNull();
    expect(tags[0]).toEqual({ left: 50, top: 30, width: 30, height: 10 });
  });

  it('never overlaps two tags and keeps every tag inside the image (seeded random scenes)', () => {
    const random = createRandom(11);
    for (let scene = 0; scene < 50; scene++) {
      const requests = Array.from({ length: 1 + Math.floor(random() * 60) }, () => {
        const x1 = random() * 190;
        const y1 = random() * 90;
        return { box: [x1, y1, x1 + 1 + random() * 60, y1 + 1 + random() * 60], width: 5 + random() * 40, height: 4 + random() * 8 };
      });
      const tags = placeTags(requests, image);
      expect(tags).toHaveLength(requests.length);
      const placed = tags.filter((tag): tag is TagRect => tag !== null);
      expect(placed.length).toBeGreaterThan(0);
      for (const [i, a] of placed.entries()) {
        expect(a.left).toBeGreaterThanOrEqual(0);
        expect(a.top).toBeGreaterThanOrEqual(0);
        expect(a.top + a.height).toBeLessThanOrEqual(image.height);
        for (const b of placed.slice(i + 1)) expect(overlap(a, b)).toBe(false);
      }
    }
  });
});
