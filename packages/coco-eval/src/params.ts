/**
 * `numpy.linspace(start, stop, count)` with numpy's own arithmetic, `i * ((stop - start) / (count - 1)) + start`
 * and the last value set to `stop`, so that every threshold is the same float64 as pycocotools' (0.8999999999999999,
 * not 0.9). A threshold that differs in the last bit changes which boxes match at exactly that IoU.
 */
export function linspace(start: number, stop: number, count: number): number[] {
  if (count === 1) return [start];
  const step = (stop - start) / (count - 1);
  const values = Array.from({ length: count }, (_, index) => index * step + start);
  values[count - 1] = stop;
  return values;
}

/** An object-area range, inclusive at both ends, in squared pixels. */
export interface AreaRange {
  label: 'all' | 'small' | 'medium' | 'large';
  min: number;
  max: number;
}

/** The parameters of a COCO bbox evaluation (pycocotools `Params.setDetParams`). */
export interface CocoEvalParams {
  /** IoU thresholds `.50:.05:.95`, T = 10. */
  iouThresholds: readonly number[];
  /** Recall thresholds `0:.01:1`, R = 101. */
  recallThresholds: readonly number[];
  /** Detections per image counted, ascending; the last one also caps the detections matched. M = 3. */
  maxDetections: readonly number[];
  /** A = 4 area ranges, in this order. */
  areaRanges: readonly AreaRange[];
}

/** The standard COCO detection parameters, the ones every published COCO AP uses. */
export const COCO_EVAL_PARAMS: CocoEvalParams = Object.freeze({
  iouThresholds: Object.freeze(linspace(0.5, 0.95, 10)),
  recallThresholds: Object.freeze(linspace(0, 1, 101)),
  maxDetections: Object.freeze([1, 10, 100]),
  areaRanges: Object.freeze([
    { label: 'all', min: 0, max: 1e5 ** 2 },
    { label: 'small', min: 0, max: 32 ** 2 },
    { label: 'medium', min: 32 ** 2, max: 96 ** 2 },
    { label: 'large', min: 96 ** 2, max: 1e5 ** 2 },
  ] as const),
});
