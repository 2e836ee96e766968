import { describe, expect, it } from 'vitest';

import { type LabelBox, boxFromDrag, clampToImage, dragBox, gripAt, handlePoint } from '../src/label/box-geometry.js';

// The labelling canvas's geometry in image pixels: drags into boxes, what a press grabs, and edits that
// keep a box inside its image. Expected values are worked out by hand from the inputs.

const IMAGE = { width: 640, height: 480 };
const box = (x: number, y: number, width: number, height: number): LabelBox => ({ x, y, width, height });

describe('boxFromDrag', () => {
  it('spans the drag in any direction', () => {
    expect(boxFromDrag({ x: 10, y: 20 }, { x: 110.5, y: 70 }, IMAGE)).toEqual(box(10, 20, 100.5, 50));
    expect(boxFromDrag({ x: 110.5, y: 70 }, { x: 10, y: 20 }, IMAGE)).toEqual(box(10, 20, 100.5, 50));
    expect(boxFromDrag({ x: 110, y: 20 }, { x: 10, y: 70 }, IMAGE)).toEqual(box(10, 20, 100, 50));
  });

  it('cuts a drag that leaves the image at its border', () => {
    expect(boxFromDrag({ x: 600, y: 400 }, { x: 700, y: 520 }, IMAGE)).toEqual(box(600, 400, 40, 80));
    expect(boxFromDrag({ x: 30, y: 40 }, { x: -25, y: -3 }, IMAGE)).toEqual(box(0, 0, 30, 40));
  });

  it('makes no box of a drag below one pixel in either side, or wholly outside the image', () => {
    expect(boxFromDrag({ x: 10, y: 10 }, { x: 10.5, y: 80 }, IMAGE)).toBeUndefined();
    expect(boxFromDrag({ x: 10, y: 10 }, { x: 80, y: 10.9 }, IMAGE)).toBeUndefined();
    expect(boxFromDrag({ x: 700, y: 10 }, { x: 800, y: 80 }, IMAGE)).toBeUndefined();
    expect(boxFromDrag({ x: 10, y: 10 }, { x: 11, y: 11 }, IMAGE)).toEqual(box(10, 10, 1, 1));
  });
});

describe('clampToImage', () => {
  it('moves a point to the nearest point of the image', () => {
    expect(clampToImage({ x: -4, y: 500 }, IMAGE)).toEqual({ x: 0, y: 480 });
    expect(clampToImage({ x: 12.5, y: 7 }, IMAGE)).toEqual({ x: 12.5, y: 7 });
  });
});

describe('gripAt', () => {
  const boxes = [box(100, 100, 200, 100), box(150, 120, 50, 50)];

  it('grabs a handle of the selected box within reach, corners and edge middles', () => {
    expect(handlePoint(boxes[0], 'se')).toEqual({ x: 300, y: 200 });
    expect(handlePoint(boxes[0], 'n')).toEqual({ x: 200, y: 100 });
    expect(handlePoint(boxes[0], 'w')).toEqual({ x: 100, y: 150 });
    expect(gripAt(boxes, 0, { x: 303, y: 197 }, 4)).toEqual({ index: 0, grip: 'se' });
    expect(gripAt(boxes, 0, { x: 200, y: 96 }, 4)).toEqual({ index: 0, grip: 'n' });
    expect(gripAt(boxes, 0, { x: 97, y: 150 }, 4)).toEqual({ index: 0, grip: 'w' });
    // Out of reach of every handle: outside the box, nothing.
    expect(gripAt(boxes, 0, { x: 305, y: 200 }, 4)).toBeUndefined();
  });

  it('offers no handles of a box that is not selected', () => {
    expect(gripAt(boxes, undefined, { x: 303, y: 197 }, 4)).toBeUndefined();
    expect(gripAt(boxes, 1, { x: 300, y: 200 }, 4)).toEqual({ index: 0, grip: 'move' });
  });

  it('moves the topmost (last drawn) box under the point', () => {
    expect(gripAt(boxes, undefined, { x: 160, y: 130 }, 4)).toEqual({ index: 1, grip: 'move' });
    expect(gripAt(boxes, undefined, { x: 250, y: 130 }, 4)).toEqual({ index: 0, grip: 'move' });
    expect(gripAt(boxes, undefined, { x: 50, y: 50 }, 4)).toBeUndefined();
    expect(gripAt([], undefined, { x: 50, y: 50 }, 4)).toBeUndefined();
  });
});

describe('dragBox', () => {
  const original = box(100, 100, 200, 100);

  it('moves a box, stopping at the border without changing its size', () => {
    expect(dragBox(original, 'move', 20.5, -30, IMAGE)).toEqual(box(120.5, 70, 200, 100));
    expect(dragBox(original, 'move', 500, 500, IMAGE)).toEqual(box(440, 380, 200, 100));
    expect(dragBox(original, 'move', -500, -500, IMAGE)).toEqual(box(0, 0, 200, 100));
  });

  it('moves the edges a handle holds and no others', () => {
    expect(dragBox(original, 'se', 10, 20, IMAGE)).toEqual(box(100, 100, 210, 120));
    expect(dragBox(original, 'nw', 10, 20, IMAGE)).toEqual(box(110, 120, 190, 80));
    expect(dragBox(original, 'ne', -50, -50, IMAGE)).toEqual(box(100, 50, 150, 150));
    expect(dragBox(original, 'sw', 30, 5, IMAGE)).toEqual(box(130, 100, 170, 105));
    expect(dragBox(original, 'n', 99, -40, IMAGE)).toEqual(box(100, 60, 200, 140));
    expect(dragBox(original, 'e', 40, 99, IMAGE)).toEqual(box(100, 100, 240, 100));
    expect(dragBox(original, 's', 99, -60, IMAGE)).toEqual(box(100, 100, 200, 40));
    expect(dragBox(original, 'w', -40, 99, IMAGE)).toEqual(box(60, 100, 240, 100));
  });

  it('keeps a resized box inside the image and at least one pixel wide and high', () => {
    expect(dragBox(original, 'se', 1000, 1000, IMAGE)).toEqual(box(100, 100, 540, 380));
    expect(dragBox(original, 'nw', -1000, -1000, IMAGE)).toEqual(box(0, 0, 300, 200));
    // Dragged past the opposite edge: it stops one pixel short instead of turning inside out.
    expect(dragBox(original, 'e', -500, 0, IMAGE)).toEqual(box(100, 100, 1, 100));
    expect(dragBox(original, 'n', 0, 500, IMAGE)).toEqual(box(100, 199, 200, 1));
  });
});
