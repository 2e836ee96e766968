import type { AccumulatedCurves } from './accumulate.js';
import type { AreaRange, CocoEvalParams } from './params.js';

/** One of the 12 standard numbers: a mean of precision (AP) or recall (AR) over a slice of the curves. */
interface StatDefinition {
  name: string;
  measure: 'precision' | 'recall';
  /** One IoU threshold, or all of them when absent. */
  iouThreshold?: number;
  area: AreaRange['label'];
  maxDetections: number;
}

const STAT_DEFINITIONS: readonly StatDefinition[] = [
  { name: 'AP', measure: 'precision', area: 'all', maxDetections: 100 },
  { name: 'AP50', measure: 'precision', iouThreshold: 0.5, area: 'all', maxDetections: 100 },
  { name: 'AP75', measure: 'precision', iouThreshold: 0.75, area: 'all', maxDetections: 100 },
  { name: 'APs', measure: 'precision', area: 'small', maxDetections: 100 },
  { name: 'APm', measure: 'precision', area: 'medium', maxDetections: 100 },
  { name: 'APl', measure: 'precision', area: 'large', maxDetections: 100 },
  { name: 'AR1', measure: 'recall', area: 'all', maxDetections: 1 },
  { name: 'AR10', measure: 'recall', area: 'all', maxDetections: 10 },
  { name: 'AR100', measure: 'recall', area: 'all', maxDetections: 100 },
  { name: 'ARs', measure: 'recall', area: 'small', maxDetections: 100 },
  { name: 'ARm', measure: 'recall', area: 'medium', maxDetections: 100 },
  { name: 'ARl', measure: 'recall', area: 'large', maxDetections: 100 },
];

/** The names of the 12 numbers in `stats`, in order: AP, AP50, AP75, APs, APm, APl, AR1, AR10, AR100, ARs, ARm, ARl. */
export const STAT_NAMES: readonly string[] = STAT_DEFINITIONS.map((definition) => definition.name);

/** What each of the 12 numbers means, as pycocotools prints it: `AP @[ IoU=0.50:0.95 | area=all | maxDets=100 ]`. */
export const STAT_DESCRIPTIONS: readonly string[] = STAT_DEFINITIONS.map(({ measure, iouThreshold, area, maxDetections }) => {
  const iou = iouThreshold === undefined ? '0.50:0.95' : iouThreshold.toFixed(2);
  return `${measure === 'precision' ? 'AP' : 'AR'} @[ IoU=${iou} | area=${area} | maxDets=${maxDetections} ]`;
});

/**
 * The 12 standard COCO numbers (pycocotools `summarize`): each is the mean of the precision (or recall)
 * entries of its slice that are not -1, i.e. over the categories that have ground truth there; -1 when none is.
 * @param categoryGroup restrict to one category group (a per-class row); all of them when absent.
 */
export function summarize(curves: AccumulatedCurves, params: CocoEvalParams, categoryGroup?: number): number[] {
  const [T, R, K, A, M] = curves.shape;
  return STAT_DEFINITIONS.map((definition) => {
    // Exact comparison, as pycocotools selects `iouThrs == .5`: the thresholds are linspace values.
    const thresholds = [...Array(T).keys()].filter(
      (t) => definition.iouThreshold === undefined || params.iouThresholds[t] === definition.iouThreshold,
    );
    const groups = categoryGroup === undefined ? [...Array(K).keys()] : [categoryGroup];
    const areas = [...Array(A).keys()].filter((a) => params.areaRanges[a].label === definition.area);
    const caps = [...Array(M).keys()].filter((m) => params.maxDetections[m] === definition.maxDetections);
    let sum = 0;
    let count = 0;
    const add = (value: number) => {
      if (value > -1) {
        sum += value;
        count++;
      }
    };
    for (const t of thresholds) {
      for (const k of groups) {
        for (const a of areas) {
          for (const m of caps) {
            if (definition.measure === 'recall') add(curves.recall[((t * K + k) * A + a) * M + m]);
            else for (let r = 0; r < R; r++) add(curves.precision[(((t * R + r) * K + k) * A + a) * M + m]);
          }
        }
      }
    }
    return count === 0 ? -1 : sum / count;
  });
}
