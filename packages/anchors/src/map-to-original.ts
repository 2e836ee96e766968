import { InvalidArgumentError } from '@edet/tensor';

import type { Detection } from './postprocess.js';

/** Per-axis factors, e.g. the resize preprocessing applied: `scaleX = resizedWidth / originalWidth`. */
export interface BoxScale {
  scaleX: number;
  scaleY: number;
}

function requireScale(scale: BoxScale): void {
  if (!(scale.scaleX > 0) || !(scale.scaleY > 0)) {
    throw new InvalidArgumentError('scale', 'positive scaleX and scaleY', `${scale.scaleX}, ${scale.scaleY}`);
  }
}

/** Multiplies x coordinates by `scaleX` and y coordinates by `scaleY`. Returns new detections. */
export function scaleBoxes(detections: readonly Detection[], scale: BoxScale): Detection[] {
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
 * `scaleY = newHeight / oldHeight` (two factors, because the short side was truncated). Returns new detections.
 */
export function mapToOriginal(detections: readonly Detection[], scale: BoxScale): Detection[] {
  requireScale(scale);
  const { scaleX, scaleY } = scale;
  return detections.map(({ box: [x1, y1, x2, y2], score, classId }) => ({
    box: [x1 / scaleX, y1 / scaleY, x2 / scaleX, y2 / scaleY],
    score,
    classId,
  }));
}

/** The `BoxScale` of a resize from `original` to `resized`, both `[height, width]`. */
export function resizeScale(original: readonly [number, number], resized: readonly [number, number]): BoxScale {
  return { scaleX: resized[1] / original[1], scaleY: resized[0] / original[0] };
}
