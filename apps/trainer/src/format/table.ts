import Table from 'cli-table3';
import type { Detection } from '@edet/model';

/**
 * A plain-text table of one image's detections (columns #, label, score, x1, y1, x2, y2) in the model's
 * order (descending score, as in the JSON output), headed by the image name and its count. No colours,
 * so that it reads the same in a file or a pipe.
 */
export function formatDetectionTable(
  image: string,
  detections: readonly Detection[],
  labelOf: (classId: number) => string,
): string {
  const count = `${detections.length} detection${detections.length === 1 ? '' : 's'}`;
  if (detections.length === 0) return `${image}: ${count}`;
  const table = new Table({
    head: ['#', 'label', 'score', 'x1', 'y1', 'x2', 'y2'],
    colAligns: ['right', 'left', 'right', 'right', 'right', 'right', 'right'],
    style: { head: [], border: [] },
    // No rule between body rows: a hundred detections should stay a hundred lines.
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
  });
  detections.forEach((detection, index) => {
    const [x1, y1, x2, y2] = detection.box.map((value) => value.toFixed(1));
    table.push([String(index + 1), labelOf(detection.classId), detection.score.toFixed(3), x1, y1, x2, y2]);
  });
  return `${image}: ${count}\n${table.toString()}`;
}
