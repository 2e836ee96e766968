import { InvalidArgumentError, checkNumberOption, checkOptionsObject, describeValue } from '@edet/tensor';

import type { Detection } from './postprocess.js';

/** Per-axis factors, e.g. the resize preprocessing applied: `scaleX = resizedWidth / originalWidth`. */
export interface BoxScale {
  scaleX: number;
  scaleY: number;
}

/** Options of `mapToOriginal`. */
export interface MapToOriginalOptions {
  /**
   * The original image's size. When given, each mapped box is clipped to `0 <= x <= width`,
   * `0 <= y <= height` and boxes left with no area are dropped: those that lay wholly in the letterbox
   * padding, and those that clipping to the network input left inverted (wholly left of or above it).
   * Without it boxes are mapped as they are (the reference's output, which can reach past the image).
   */
  clipTo?: { width: number; height: number };
}

const POSITIVE_FINITE = { min: 0, minExclusive: true, max: Infinity, maxExclusive: true };

function requireScale(scale: BoxScale): void {
  if (scale === null || typeof scale !== 'object') {
    throw new InvalidArgumentError('scale', 'an object { scaleX, scaleY }', describeValue(scale));
  }
  if (!(scale.scaleX > 0) || !(scale.scaleY > 0)) {
    throw new InvalidArgumentError('scale', 'positive scaleX and scaleY', `${scale.scaleX}, ${scale.scaleY}`);
  }
  checkNumberOption(scale.scaleX, 'scale.scaleX', POSITIVE_FINITE);
  checkNumberOption(scale.scaleY, 'scale.scaleY', POSITIVE_FINITE);
}

function requireDetections(detections: readonly Detection[]): void {
  if (!Array.isArray(detections)) throw new InvalidArgumentError('detections', 'an array of detections', describeValue(detections));
}

/** Multiplies x coordinates by `scaleX` and y coordinates by `scaleY`. Returns new detections. */
export function scaleBoxes(detections: readonly Detection[], scale: BoxScale): Detection[] {
  requireDetections(detections);
  requireScale(scale);
  const { scaleX, scaleY } = scale;
  return detections.map(({ box: [x1, y1, x2, y2], score, classId }) => ({
    box: [x1 * scaleX, y1 * scaleY, x2 * scaleX, y2 * scaleY],
    score,
    classId,
  }));
}

/**
 * Maps detections from network-input pixels back to the original image, undoing a letterbox resize that
 * pasted the image at the top-left: x is divided by `scaleX = newWidth / oldWidth`, y by
 * `scaleY = newHeight / oldHeight` (two factors, because the short side was truncated), then, with
 * `clipTo`, clipped to the image. The one mapping `model.detect`, the command line and the demo use.
 * Returns new detections, in the same order.
 */
export function mapToOriginal(detections: readonly Detection[], scale: BoxScale, options: MapToOriginalOptions = {}): Detection[] {
  requireDetections(detections);
  requireScale(scale);
  checkOptionsObject(options);
  const { scaleX, scaleY } = scale;
  const mapped = detections.map(({ box: [x1, y1, x2, y2], score, classId }): Detection => ({
    box: [x1 / scaleX, y1 / scaleY, x2 / scaleX, y2 / scaleY],
    score,
    classId,
  }));
  const { clipTo } = options;
  if (clipTo === undefined) return mapped;
  if (clipTo === null || typeof clipTo !== 'object' || !(clipTo.width > 0) || !(clipTo.height > 0) || !Number.isFinite(clipTo.width) || !Number.isFinite(clipTo.height)) {
    const given = clipTo !== null && typeof clipTo === 'object' ? `${clipTo.width}x${clipTo.height}` : describeValue(clipTo);
    throw new InvalidArgumentError('clipTo', 'a positive width and height', given);
  }
  const clamp = (value: number, limit: number) => Math.min(Math.max(value, 0), limit);
  const clipped = mapped.map(({ box: [x1, y1, x2, y2], score, classId }): Detection => ({
    box: [clamp(x1, clipTo.width), clamp(y1, clipTo.height), clamp(x2, clipTo.width), clamp(y2, clipTo.height)],
    score,
    classId,
  }));
  return clipped.filter(({ box: [x1, y1, x2, y2] }) => x2 > x1 && y2 > y1);
}

/** The `BoxScale` of a resize from `original` to `resized`, both `[height, width]`. */
export function resizeScale(original: readonly [number, number], resized: readonly [number, number]): BoxScale {
  return { scaleX: resized[1] / original[1], scaleY: resized[0] / original[0] };
}
