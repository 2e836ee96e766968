import type { AnnotationIssue, Box } from './dataset.js';

/** A box as written in the annotations, corners in image pixels, before checking. */
export interface RawBox {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  classId: number;
}

/** Boxes narrower or shorter than this (pixels, after clipping) are dropped as degenerate. */
export const MIN_BOX_SIDE = 1;

const round = (value: number) => Math.round(value * 100) / 100;
const describe = (box: RawBox) => `[${[box.x1, box.y1, box.x2, box.y2].map(round).join(',')}]`;

/**
 * Checks a box against its image: corners that are not finite numbers, or boxes with no area, or lying
 * wholly outside the image are dropped; boxes crossing the border are clipped to it. Every change is
 * recorded in `issues` with the image name. Never throws.
 * @returns the box as `[x1, y1, x2, y2, classId]`, or undefined when dropped
 */
export function checkBox(box: RawBox, width: number, height: number, image: string, issues: AnnotationIssue[]): Box | undefined {
  const { x1, y1, x2, y2 } = box;
  if (![x1, y1, x2, y2].every(Number.isFinite)) {
    issues.push({ image, action: 'dropped', reason: `non-numeric corners ${describe(box)}` });
    return undefined;
  }
  if (x2 - x1 < MIN_BOX_SIDE || y2 - y1 < MIN_BOX_SIDE) {
    issues.push({ image, action: 'dropped', reason: `zero or negative size ${describe(box)}` });
    return undefined;
  }
  const clipped: Box = [Math.max(0, x1), Math.max(0, y1), Math.min(width, x2), Math.min(height, y2), box.classId];
  if (clipped[2] - clipped[0] < MIN_BOX_SIDE || clipped[3] - clipped[1] < MIN_BOX_SIDE) {
    issues.push({ image, action: 'dropped', reason: `outside the ${width}x${height} image ${describe(box)}` });
    return undefined;
  }
  if (clipped[0] !== x1 || clipped[1] !== y1 || clipped[2] !== x2 || clipped[3] !== y2) {
    issues.push({ image, action: 'clipped', reason: `crosses the ${width}x${height} image border ${describe(box)}` });
  }
  return clipped;
}

/** How many issues a summary names before `...`. */
const SHOWN = 3;

/**
 * One line per kind of change, with a count and the first few examples:
 * `dropped 2 boxes: BloodImage_00338.jpg zero or negative size [504,337,504,337]; ...`.
 */
export function summarizeIssues(issues: readonly AnnotationIssue[]): string[] {
  const lines: string[] = [];
  for (const action of ['dropped', 'clipped'] as const) {
    const matching = issues.filter((issue) => issue.action === action);
    if (matching.length === 0) continue;
    const examples = matching.slice(0, SHOWN).map((issue) => `${issue.image} ${issue.reason}`);
    const more = matching.length > SHOWN ? `; and ${matching.length - SHOWN} more` : '';
    lines.push(`${action} ${matching.length} box${matching.length === 1 ? '' : 'es'}: ${examples.join('; ')}${more}`);
  }
  return lines;
}
