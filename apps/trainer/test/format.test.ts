import type { Detection } from '@edet/model';
import { describe, expect, it } from 'vitest';

import { labeller } from '../src/classes.js';
import { formatJsonReport, toImageReport } from '../src/format/json.js';
import { formatDetectionTable } from '../src/format/table.js';

const labelOf = labeller(['person', 'bicycle', 'car']);
const detections: Detection[] = [
  { box: [10.04, 20.5, 110.25, 220.75], score: 0.91234, classId: 2 },
  { box: [0, 0, 5, 6], score: 0.25, classId: 0 },
];

describe('formatDetectionTable', () => {
  it('prints a header line and one row per detection, in the given order', () => {
    const text = formatDetectionTable('street.jpg', detections, labelOf);
    const lines = text.split('\n');
    expect(lines[0]).toBe('street.jpg: 2 detections');
    const cells = (line: string) => line.split('│').map((cell) => cell.trim()).filter((cell) => cell !== '');
    const rows = lines.filter((line) => line.startsWith('│')).map(cells);
    expect(rows).toEqual([
      ['#', 'label', 'score', 'x1', 'y1', 'x2', 'y2'],
      ['1', 'car', '0.912', '10.0', '20.5', '110.3', '220.8'],
      ['2', 'person', '0.250', '0.0', '0.0', '5.0', '6.0'],
    ]);
    // No ANSI colour codes: the table must read the same in a pipe or a file.
    expect(text).not.toMatch(/\u001b\[/);
  });

  it('says so when there is nothing', () => {
    expect(formatDetectionTable('empty.png', [], labelOf)).toBe('empty.png: 0 detections');
    expect(formatDetectionTable('one.png', [detections[1]], labelOf)).toMatch(/^one\.png: 1 detection\n/);
  });
});

describe('JSON report', () => {
  it('has one entry per image with box, score, classId and label', () => {
    const reports = [toImageReport('a.jpg', detections, labelOf), toImageReport('b.png', [], labelOf)];
    const parsed = JSON.parse(formatJsonReport(reports));
    expect(parsed).toEqual([
      {
        image: 'a.jpg',
        detections: [
          { box: [10.04, 20.5, 110.25, 220.75], score: 0.91234, classId: 2, label: 'car' },
          { box: [0, 0, 5, 6], score: 0.25, classId: 0, label: 'person' },
        ],
      },
      { image: 'b.png', detections: [] },
    ]);
  });

  it('copies boxes rather than sharing them', () => {
    const report = toImageReport('a.jpg', detections, labelOf);
    report.detections[0].box[0] = -1;
    expect(detections[0].box[0]).toBe(10.04);
  });
});
