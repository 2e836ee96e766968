/**
 * The boxes hard NMS has kept so far, bucketed by group and by the cells of a uniform grid they cover, so
 * that a new box is compared only with kept boxes that can intersect it. Hard NMS suppresses only on an IoU
 * above a threshold >= 0, which needs an intersection of positive width and height; two such boxes share a
 * point, and so a cell. A box with a non-finite coordinate is left out: its area is infinite or NaN, so
 * its IoU with any box is 0 (`boxIou` gives 0 for a NaN union) and it neither suppresses nor is suppressed.
 */
export class KeptGrid {
  private readonly x0: number;
  private readonly y0: number;
  private readonly cellWidth: number;
  private readonly cellHeight: number;
  private readonly side: number;
  /** Per group, one list of kept indices per cell (row-major). */
  private readonly cells = new Map<number, number[][]>();

  /** @param boxes flat `[x1, y1, x2, y2, ...]`; @param members the indices that may be added or queried. */
  constructor(
    private readonly boxes: ArrayLike<number>,
    members: ArrayLike<number>,
  ) {
    let [minX, minY, maxX, maxY, widths, heights, bounded] = [Infinity, Infinity, -Infinity, -Infinity, 0, 0, 0];
    for (let k = 0; k < members.length; k++) {
      const index = members[k];
      if (!this.bounded(index)) continue;
      minX = Math.min(minX, boxes[4 * index]);
      minY = Math.min(minY, boxes[4 * index + 1]);
      maxX = Math.max(maxX, boxes[4 * index + 2]);
      maxY = Math.max(maxY, boxes[4 * index + 3]);
      widths += Math.max(0, boxes[4 * index + 2] - boxes[4 * index]);
      heights += Math.max(0, boxes[4 * index + 3] - boxes[4 * index + 1]);
      bounded++;
    }
    // Cells about the mean box size (a box covers a few), at most 32 x 32 of them; one cell when the
    // sizes are degenerate or overflow.
    const cellsPerSide = Math.max(maxX - minX, maxY - minY) / (Math.max(widths, heights) / bounded);
    this.side = Number.isFinite(cellsPerSide) && cellsPerSide >= 2 ? Math.min(32, Math.floor(cellsPerSide)) : 1;
    this.x0 = Number.isFinite(minX) ? minX : 0;
    this.y0 = Number.isFinite(minY) ? minY : 0;
    this.cellWidth = maxX > minX ? (maxX - minX) / this.side : 1;
    this.cellHeight = maxY > minY ? (maxY - minY) / this.side : 1;
  }

  /** Adds box `index` of `group`. */
  add(index: number, group: number): void {
    if (!this.bounded(index)) return;
    let cells = this.cells.get(group);
    if (cells === undefined) this.cells.set(group, (cells = Array.from({ length: this.side * this.side }, () => [])));
    const [column1, row1, column2, row2] = this.cellRange(index);
    for (let row = row1; row <= row2; row++) {
      for (let column = column1; column <= column2; column++) {
        cells[row * this.side + column].push(index);
      }
    }
  }

  /** Whether `boxIou(boxes, kept, index) > iouThreshold` for a kept box of `group` (`iouThreshold >= 0`). */
  suppresses(index: number, group: number, iouThreshold: number): boolean {
    if (!this.bounded(index)) return false;
    const cells = this.cells.get(group);
    if (cells === undefined) return false;
    const [column1, row1, column2, row2] = this.cellRange(index);
    for (let row = row1; row <= row2; row++) {
      for (let column = column1; column <= column2; column++) {
        if (overlapsAny(this.boxes, index, cells[row * this.side + column], iouThreshold)) return true;
      }
    }
    return false;
  }

  private bounded(index: number): boolean {
    const boxes = this.boxes;
    return (
      Number.isFinite(boxes[4 * index]) &&
      Number.isFinite(boxes[4 * index + 1]) &&
      Number.isFinite(boxes[4 * index + 2]) &&
      Number.isFinite(boxes[4 * index + 3])
    );
  }

  /** The first and last column and row of cells box `index` covers, clamped to the grid. */
  private cellRange(index: number): [number, number, number, number] {
    const boxes = this.boxes;
    // Monotonic in `value`, as the shared-cell argument needs; NaN (only with one cell) goes to cell 0.
    const cell = (value: number, origin: number, size: number) => {
      const position = Math.floor((value - origin) / size);
      return position >= this.side - 1 ? this.side - 1 : position > 0 ? position : 0;
    };
    return [
      cell(boxes[4 * index], this.x0, this.cellWidth),
      cell(boxes[4 * index + 1], this.y0, this.cellHeight),
      cell(boxes[4 * index + 2], this.x0, this.cellWidth),
      cell(boxes[4 * index + 3], this.y0, this.cellHeight),
    ];
  }
}

/** Whether `boxIou(boxes, other, index) > iouThreshold` for some `other` of `kept` (threshold >= 0). */
function overlapsAny(boxes: ArrayLike<number>, index: number, kept: readonly number[], iouThreshold: number): boolean {
  const bx1 = boxes[4 * index], by1 = boxes[4 * index + 1], bx2 = boxes[4 * index + 2], by2 = boxes[4 * index + 3];
  const areaB = (bx2 - bx1) * (by2 - by1);
  for (const other of kept) {
    const ax1 = boxes[4 * other], ay1 = boxes[4 * other + 1], ax2 = boxes[4 * other + 2], ay2 = boxes[4 * other + 3];
    const interWidth = Math.min(ax2, bx2) - Math.max(ax1, bx1);
    // No intersection means IoU 0, never above a threshold >= 0: skip the rest.
    if (!(interWidth > 0)) continue;
    const interHeight = Math.min(ay2, by2) - Math.max(ay1, by1);
    if (!(interHeight > 0)) continue;
    // `boxIou`'s operations in its order (a: the kept box, b: the new one), so the decisions are identical.
    const intersection = interWidth * interHeight;
    const union = (ax2 - ax1) * (ay2 - ay1) + areaB - intersection;
    if (union > 0 && intersection / union > iouThreshold) return true;
  }
  return false;
}
