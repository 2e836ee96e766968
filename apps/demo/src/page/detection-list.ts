import { classColour, classLabel, cssColour } from '@edet/model';
import type { ShownDetection } from './select-detections.js';

/**
 * Fills the detections table: one row per detection, best first. Each row carries its numbers at full
 * precision in data attributes (`data-class`, `data-score`, `data-x1` ... `data-y2`, original-image pixels),
 * for tests and for anyone who wants to copy them; the cells show them rounded.
 */
export function renderDetectionList(body: HTMLTableSectionElement, detections: readonly ShownDetection[], labels: readonly string[]): void {
  const rows = detections.map((detection, rank) => {
    const row = document.createElement('tr');
    row.setAttribute('data-testid', 'detection-row');
    row.dataset.class = String(detection.classId);
    row.dataset.label = classLabel(labels, detection.classId);
    row.dataset.score = String(detection.score);
    const [x1, y1, x2, y2] = detection.box;
    Object.assign(row.dataset, { x1: String(x1), y1: String(y1), x2: String(x2), y2: String(y2) });
    const swatch = document.createElement('span');
    swatch.className = 'swatch';
    swatch.style.background = cssColour(classColour(detection.classId));
    const cells = [String(rank + 1), classLabel(labels, detection.classId), detection.score.toFixed(4), ...detection.box.map((value) => value.toFixed(1))];
    cells.forEach((text, index) => {
      const cell = document.createElement('td');
      if (index === 1) cell.append(swatch);
      cell.append(text);
      row.append(cell);
    });
    return row;
  });
  body.replaceChildren(...rows);
}
