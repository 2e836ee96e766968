/**
 * The geometry of the labelling canvas, in image pixels: a drag made into a box, which part of which box
 * a point grabs, and how a grabbed box follows the pointer, always inside the image.
 */
import { MIN_BOX_SIDE } from '@edet/data';

/** A box in image pixels: its top-left corner and its size (COCO's `[x, y, w, h]`). */
export interface LabelBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** A point in image pixels. */
export interface Point {
  x: number;
  y: number;
}

/** An image's size in pixels. */
export interface ImageSize {
  width: number;
  height: number;
}

/** A resize handle: a corner (`nw`, `ne`, `se`, `sw`) or the middle of an edge (`n`, `e`, `s`, `w`). */
export type Handle = 'nw' | 'n' | 'ne' | 'e' | 'se' | 's' | 'sw' | 'w';

/** What a pointer holds of a box: a handle, or the whole box (`move`). */
export type Grip = Handle | 'move';

/** The handles, in the order they are drawn. */
export const HANDLES: readonly Handle[] = ['nw', 'n', 'ne', 'e', 'se', 's', 'sw', 'w'];

const clamp = (value: number, low: number, high: number) => Math.min(Math.max(value, low), high);

/** The point moved to the nearest point of the image (`[0, width] x [0, height]`). */
export function clampToImage(point: Point, size: ImageSize): Point {
  return { x: clamp(point.x, 0, size.width), y: clamp(point.y, 0, size.height) };
}

/**
 * The box a drag from `start` to `end` spans, in whichever direction it went, cut to the image; undefined
 * when it is narrower or shorter than `MIN_BOX_SIDE` (the COCO reader would drop such a box).
 */
export function boxFromDrag(start: Point, end: Point, size: ImageSize): LabelBox | undefined {
  const a = clampToImage(start, size);
  const b = clampToImage(end, size);
  const box = { x: Math.min(a.x, b.x), y: Math.min(a.y, b.y), width: Math.abs(b.x - a.x), height: Math.abs(b.y - a.y) };
  return box.width >= MIN_BOX_SIDE && box.height >= MIN_BOX_SIDE ? box : undefined;
}

/** Where each handle of a box sits. */
export function handlePoint(box: LabelBox, handle: Handle): Point {
  const x = handle.includes('w') ? box.x : handle.includes('e') ? box.x + box.width : box.x + box.width / 2;
  const y = handle.includes('n') ? box.y : handle.includes('s') ? box.y + box.height : box.y + box.height / 2;
  return { x, y };
}

const inside = (box: LabelBox, point: Point) => point.x >= box.x && point.x <= box.x + box.width && point.y >= box.y && point.y <= box.y + box.height;

/**
 * What a press at `point` grabs: a handle of the selected box within `reach` (image pixels, per axis), else
 * the topmost box (the last drawn) that contains the point, to move it; undefined over no box.
 */
export function gripAt(
  boxes: readonly LabelBox[],
  selected: number | undefined,
  point: Point,
  reach: number,
): { index: number; grip: Grip } | undefined {
  if (selected !== undefined && boxes[selected] !== undefined) {
    const near = (p: Point) => Math.abs(p.x - point.x) <= reach && Math.abs(p.y - point.y) <= reach;
    const handle = HANDLES.find((h) => near(handlePoint(boxes[selected], h)));
    if (handle !== undefined) return { index: selected, grip: handle };
  }
  for (let index = boxes.length - 1; index >= 0; index--) {
    if (inside(boxes[index], point)) return { index, grip: 'move' };
  }
  return undefined;
}

/**
 * The box after its grip was dragged by `(dx, dy)` image pixels from where it was when grabbed. `move`
 * shifts it, stopping at the image border; a handle moves its edges, each kept inside the image and at
 * least `MIN_BOX_SIDE` from the opposite edge (a box is never turned inside out).
 */
export function dragBox(box: LabelBox, grip: Grip, dx: number, dy: number, size: ImageSize): LabelBox {
  if (grip === 'move') {
    return { ...box, x: clamp(box.x + dx, 0, size.width - box.width), y: clamp(box.y + dy, 0, size.height - box.height) };
  }
  let x1 = box.x;
  let y1 = box.y;
  let x2 = box.x + box.width;
  let y2 = box.y + box.height;
  if (grip.includes('w')) x1 = clamp(x1 + dx, 0, x2 - MIN_BOX_SIDE);
  if (grip.includes('e')) x2 = clamp(x2 + dx, x1 + MIN_BOX_SIDE, size.width);
  if (grip.includes('n')) y1 = clamp(y1 + dy, 0, y2 - MIN_BOX_SIDE);
  if (grip.includes('s')) y2 = clamp(y2 + dy, y1 + MIN_BOX_SIDE, size.height);
  return { x: x1, y: y1, width: x2 - x1, height: y2 - y1 };
}
