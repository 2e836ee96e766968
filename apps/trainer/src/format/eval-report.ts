import Table from 'cli-table3';

import { STAT_DESCRIPTIONS, STAT_NAMES, type CocoDataset, type CocoEvaluation } from '@edet/coco-eval';

/** What `edet eval --json` prints. */
export interface EvalReport {
  /** AP, AP50, AP75, APs, APm, APl, AR1, AR10, AR100, ARs, ARm, ARl; -1 where nothing could be measured. */
  stats: number[];
  /** The names of `stats`, in order. */
  statNames: string[];
  /** Per category, ascending ids: the same 12 numbers. */
  perClass: { categoryId: number; name: string; stats: number[] }[];
  /** Images evaluated and detections scored. */
  images: number;
  detections: number;
}

/** The JSON report of an evaluation. */
export function toEvalReport(result: CocoEvaluation, detectionCount: number): EvalReport {
  return {
    stats: result.stats,
    statNames: [...STAT_NAMES],
    perClass: result.perClass.map(({ categoryId, name, stats }) => ({ categoryId, name, stats })),
    images: result.imageIds.length,
    detections: detectionCount,
  };
}

/** A value to 3 decimals, as pycocotools prints them; `n/a` for -1 (no ground truth to measure against). */
function formatValue(value: number): string {
  return value === -1 ? 'n/a' : value.toFixed(3);
}

const TABLE_STYLE = {
  style: { head: [], border: [] },
  // No rule between body rows, as in the detection table.
  chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
};

/**
 * The plain-text report: the 12 standard numbers with their names and meanings, then AP and AP50 per
 * category (`objects`: its non-crowd ground truth count).
 * @param objectCounts non-crowd ground-truth boxes per category id
 */
export function formatEvalTables(report: EvalReport, objectCounts: ReadonlyMap<number, number>): string {
  const summary = new Table({ head: ['metric', 'value', 'meaning'], colAligns: ['left', 'right', 'left'], ...TABLE_STYLE });
  report.stats.forEach((value, index) => summary.push([STAT_NAMES[index], formatValue(value), STAT_DESCRIPTIONS[index]]));
  const lines = [`COCO bbox evaluation: ${report.images} images, ${report.detections} detections`, summary.toString()];
  if (report.perClass.length > 0) {
    const perClass = new Table({
      head: ['id', 'category', 'objects', 'AP', 'AP50'],
      colAligns: ['right', 'left', 'right', 'right', 'right'],
      ...TABLE_STYLE,
    });
    for (const { categoryId, name, stats } of report.perClass) {
      perClass.push([String(categoryId), name, String(objectCounts.get(categoryId) ?? 0), formatValue(stats[0]), formatValue(stats[1])]);
    }
    lines.push(perClass.toString());
  }
  if ([...report.stats, ...report.perClass.flatMap((row) => row.stats.slice(0, 2))].includes(-1)) {
    lines.push('n/a: no ground truth to measure against');
  }
  return lines.join('\n');
}

/** Non-crowd ground-truth boxes per category id (the objects recall is measured against, all areas). */
export function countObjects(dataset: CocoDataset): Map<number, number> {
  const counts = new Map<number, number>();
  for (const annotation of dataset.annotations) {
    if (!annotation.iscrowd) counts.set(annotation.category_id, (counts.get(annotation.category_id) ?? 0) + 1);
  }
  return counts;
}
