import { nms } from '@edet/anchors';

import type { Candidates } from '../protocol.js';

/** One detection as the page shows it; `box` is `[x1, y1, x2, y2]` in original-image pixels. */
export interface ShownDetection {
  box: [number, number, number, number];
  score: number;
  classId: number;
}

/** The thresholds the sliders set. */
export interface SelectionOptions {
  scoreThreshold: number;
  iouThreshold: number;
  maxDetections: number;
}

/**
 * Applies the score threshold and per-class NMS to the worker's candidates, as `model.detect` does after
 * the network (NMS on network-input boxes, the float32 threshold, ties to the lower anchor index), then
 * reports the boxes in original-image pixels. Plain arrays: no tensors, no network run.
 */
export function selectDetections(candidates: Candidates, options: SelectionOptions): ShownDetection[] {
  const kept = nms(candidates.boxes, candidates.scores, candidates.classIds, {
    mode: 'per-class',
    iouThreshold: options.iouThreshold,
    scoreThreshold: Math.fround(options.scoreThreshold),
    maxDetections: options.maxDetections,
  });
  return kept.indices.map((index, rank) => ({
    box: Array.from(candidates.originalBoxes.subarray(index * 4, index * 4 + 4)) as ShownDetection['box'],
    score: kept.scores[rank],
    classId: candidates.classIds[index],
  }));
}
