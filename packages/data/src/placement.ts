import { INPUT_SIZE_EXPECTED, type InputSize, inputShape, isInputSize, letterboxGeometry } from '@edet/model';
import { describeValue } from '@edet/tensor';

import { DataError } from './errors.js';

/**
 * Where an image lands in the network input (a square side or `[height, width]`). Without augmentation
 * this is exactly the model's `letterboxImage`: the image scaled to fit the frame by the side that limits
 * it (the other truncated, as `letterboxGeometry` does), at the top-left, zeros (the mean colour after
 * normalisation) elsewhere. Augmentation flips the image, rescales it around that size and moves it along
 * each axis, cropping what falls outside the frame.
 */
export interface Placement {
  /** Network input size: a square side or `[height, width]` (see `inputFrame`). */
  size: InputSize;
  /** The decoded image's size. */
  width: number;
  height: number;
  /** Size of the resized image (may exceed `size`; the excess is cropped). */
  resizedWidth: number;
  resizedHeight: number;
  /** Input pixel of the resized image's top-left corner (negative when cropped on that side). */
  offsetX: number;
  offsetY: number;
  /** Mirrored left-right before resizing. */
  flip: boolean;
}

/** The random draws behind one augmented placement, independent of the image size. */
export interface PlacementDraw {
  flip: boolean;
  /** Multiplies the letterbox size (1 = none). */
  scale: number;
  /** Uniform in [0, 1): where in its range of positions the image lands. */
  u: number;
  v: number;
}

/**
 * `[height, width]` of a network input size.
 * @throws DataError naming `size` when it is not a positive integer or `[height, width]` of them
 */
export function inputFrame(size: InputSize): [number, number] {
  if (!isInputSize(size)) throw new DataError(`size: expected ${INPUT_SIZE_EXPECTED}, got ${Array.isArray(size) ? JSON.stringify(size) : describeValue(size)}`);
  return inputShape(size);
}

/**
 * The plain letterbox of the model (`letterboxImage` at the same `size`).
 * @throws DataError naming `size` when it is not an input size
 */
export function letterboxPlacement(width: number, height: number, size: InputSize): Placement {
  inputFrame(size);
  const { resizedWidth, resizedHeight } = letterboxGeometry(width, height, size);
  return { size, width, height, resizedWidth, resizedHeight, offsetX: 0, offsetY: 0, flip: false };
}

/** Positions along one axis: a resized extent `extent` in a side `side` can start anywhere in [min(0, side-extent), max(0, side-extent)]. */
function offsetIn(extent: number, side: number, u: number): number {
  const low = Math.min(0, side - extent);
  const high = Math.max(0, side - extent);
  return low + Math.min(high - low, Math.floor(u * (high - low + 1)));
}

/**
 * An augmented placement: the letterbox size times `draw.scale` (truncated, at least 1 pixel, the same
 * factor on both axes so the aspect ratio holds), then a random position along each axis (`u` across the
 * frame's width, `v` down its height): a smaller image is padded around, a larger one cropped.
 * `scale = 1, u = v = 0, flip = false` gives the plain letterbox.
 * @throws DataError naming `size` when it is not an input size
 */
export function augmentedPlacement(width: number, height: number, size: InputSize, draw: PlacementDraw): Placement {
  const [frameHeight, frameWidth] = inputFrame(size);
  const base = letterboxPlacement(width, height, size);
  const resizedWidth = Math.max(1, Math.trunc(base.resizedWidth * draw.scale));
  const resizedHeight = Math.max(1, Math.trunc(base.resizedHeight * draw.scale));
  return {
    ...base,
    resizedWidth,
    resizedHeight,
    offsetX: offsetIn(resizedWidth, frameWidth, draw.u),
    offsetY: offsetIn(resizedHeight, frameHeight, draw.v),
    flip: draw.flip,
  };
}

/** Boxes that keep less than this share of their area inside the input after a crop are dropped. */
export const MIN_VISIBLE_FRACTION = 0.4;
/** Boxes narrower or shorter than this in input pixels after the crop are dropped. */
export const MIN_PLACED_SIDE = 2;

/**
 * Maps image-pixel boxes `[x1, y1, x2, y2, classId]` into input pixels for `placement`: mirrored when the
 * image is, scaled by `resized / original` per axis (the inverse of `mapToOriginal` with the model's `letterboxScale`), shifted,
 * and clipped to the visible part of the image. Boxes mostly cut away (see `MIN_VISIBLE_FRACTION`) or
 * thinner than `MIN_PLACED_SIDE` are dropped.
 */
export function placeBoxes(boxes: readonly (readonly number[])[], placement: Placement): number[][] {
  const { width, height, resizedWidth, resizedHeight, offsetX, offsetY } = placement;
  const [frameHeight, frameWidth] = inputFrame(placement.size);
  const scaleX = resizedWidth / width;
  const scaleY = resizedHeight / height;
  const left = Math.max(0, offsetX);
  const top = Math.max(0, offsetY);
  const right = Math.min(frameWidth, offsetX + resizedWidth);
  const bottom = Math.min(frameHeight, offsetY + resizedHeight);
  const placed: number[][] = [];
  for (const [bx1, by1, bx2, by2, classId] of boxes) {
    const [sx1, sx2] = placement.flip ? [width - bx2, width - bx1] : [bx1, bx2];
    const x1 = sx1 * scaleX + offsetX;
    const x2 = sx2 * scaleX + offsetX;
    const y1 = by1 * scaleY + offsetY;
    const y2 = by2 * scaleY + offsetY;
    const cx1 = Math.max(left, x1);
    const cy1 = Math.max(top, y1);
    const cx2 = Math.min(right, x2);
    const cy2 = Math.min(bottom, y2);
    if (cx2 - cx1 < MIN_PLACED_SIDE || cy2 - cy1 < MIN_PLACED_SIDE) continue;
    const area = (x2 - x1) * (y2 - y1);
    if ((cx2 - cx1) * (cy2 - cy1) < MIN_VISIBLE_FRACTION * area) continue;
    placed.push([cx1, cy1, cx2, cy2, classId]);
  }
  return placed;
}
