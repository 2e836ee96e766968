import { type Detection, mapToOriginal, nms } from '@edet/anchors';
import { type Letterbox, letterboxScale } from '@edet/model';

import type { Candidates } from '../protocol.js';

/** One detection as the page shows it; `box` is `[x1, y1, x2, y2]` in original-image pixels. */
export type ShownDetection = Detection;

/** The thresholds the sliders set. */
export interface SelectionOptions {
  scoreThreshold: number;
  iouThreshold: number;
  maxDetections: number;
}

/**
 * Applies the score threshold and per-class NMS to the worker's candidates, as `model.detect` does after
 * the network (NMS on network-input boxes, the float32 threshold, ties to the lower anchor index), then
 * maps the boxes to original-image pixels with `mapToOriginal`, clipped to the image as `edet detect` shows
 * them (boxes left with no area are dropped). Plain arrays: no tensors, no network run.
 */
export function selectDetections(candidates: Candidates, letterbox: Letterbox, options: SelectionOptions): ShownDetection[] {
  const kept = nms(candidates.boxes, candidates.scores, candidates.classIds, {
    mode: 'per-class',
    iouThreshold: options.iouThreshold,
    scoreThreshold: Math.fround(options.scoreThreshold),
    maxDetections: options.maxDetections,
  });
  const detections = kept.indices.map(
    (index, rank): Detection => ({
      box: Array.from(candidates.boxes.subarray(index * 4, index * 4 + 4)) as Detection['box'],
      score: kept.scores[rank],
      classId: candidates.classIds[index],
    }),
  );
  return mapToOriginal(detections, letterboxScale(letterbox), { clipTo: letterbox });
}
