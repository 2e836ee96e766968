/** A tag's rectangle in image pixels: `left`, `top`, `width`, `height`. */
export interface TagRect {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** One box and the size of the `label score` tag to place for it. */
export interface TagRequest {
  /** `[x1, y1, x2, y2]` in image pixels. */
  box: readonly [number, number, number, number] | readonly number[];
  width: number;
  height: number;
}

/**
 * Places the label tags of detections so that no two overlap, for drawing. Requests are taken in the
 * order given (give the best detection first): each tag goes to the first of these places that lies in the
 * image and overlaps no tag placed before it: above the box's top-left corner, inside its top-left corner,
 * below its bottom-left corner, inside its bottom-left corner. A tag with no free place is left out
 * (`null`): its box is still drawn, and the table lists it; crowded scenes would otherwise be unreadable.
 * @param requests boxes and tag sizes, best first
 * @param image the image's width and height; tags stay inside it (shifted left at the right edge)
 * @returns one rectangle or `null` per request, in the same order
 */
export function placeTags(requests: readonly TagRequest[], image: { width: number; height: number }): (TagRect | null)[] {
  const placed: TagRect[] = [];
  return requests.map(({ box, width, height }) => {
    const [x1, y1, x2, y2] = box;
    const left = Math.max(0, Math.min(x1, image.width - width));
    const candidates = [y1 - height, y1, y2, y2 - height].map((top) => ({ left, top, width, height }));
    const free = candidates.find(
      (rect) => rect.top >= 0 && rect.top + height <= image.height && placed.every((other) => !overlaps(rect, other)),
    );
    if (free === undefined) return null;
    placed.push(free);
    return free;
  });
}

function overlaps(a: TagRect, b: TagRect): boolean {
  return a.left < b.left + b.width && b.left < a.left + a.width && a.top < b.top + b.height && b.top < a.top + a.height;
}
