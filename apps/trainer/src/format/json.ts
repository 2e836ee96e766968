import type { Detection } from '@edet/model';

/** One image's entry in `edet detect --json` output. */
export interface ImageReport {
  image: string;
  detections: { box: [number, number, number, number]; score: number; classId: number; label: string }[];
}

/** One image's detections as a JSON-ready report entry, boxes as `[x1, y1, x2, y2]` in image pixels. */
export function toImageReport(
  image: string,
  detections: readonly Detection[],
  labelOf: (classId: number) => string,
): ImageReport {
  return {
    image,
    detections: detections.map((detection) => ({
      box: [...detection.box] as [number, number, number, number],
      score: detection.score,
      classId: detection.classId,
      label: labelOf(detection.classId),
    })),
  };
}

/** The whole `--json` output: one array, one entry per image, in the order the images were given. */
export function formatJsonReport(reports: readonly ImageReport[]): string {
  return JSON.stringify(reports, null, 2);
}
