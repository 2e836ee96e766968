/**
 * The labelling canvas: shows one image at its own pixel size (CSS scales it to the page) with its boxes,
 * and turns the mouse into box edits: drag on the image to draw a box, press a box to select it, drag it to
 * move it, drag a handle of the selected box to resize it, Delete or Backspace to remove it. Pointer
 * positions are converted to image pixels with the canvas's displayed size, so the boxes never depend on
 * the scale the page shows them at.
 */
import { classColour, cssColour, textColourOn } from '@edet/model';

import { type Grip, type Point, HANDLES, boxFromDrag, dragBox, gripAt, handlePoint } from './box-geometry.js';
import type { ClassedBox } from './coco-labels.js';

/** How close to a handle a press must be to grab it, in CSS pixels (per axis). */
const HANDLE_REACH = 6;
/** A press that moves less than this (CSS pixels) is a click: it selects, it draws nothing. */
const CLICK_SLOP = 3;

const CURSORS: Record<Grip, string> = {
  move: 'move',
  n: 'ns-resize',
  s: 'ns-resize',
  e: 'ew-resize',
  w: 'ew-resize',
  nw: 'nwse-resize',
  se: 'nwse-resize',
  ne: 'nesw-resize',
  sw: 'nesw-resize',
};

/** What the editor asks of the page. */
export interface EditorHooks {
  /** The class a new box gets (the class field's text). */
  newClass(): string;
  /** The colour index of a class name (its place among the classes in use), -1 for none. */
  classIndex(name: string): number;
  /** Called after boxes were added, moved, resized or removed, a box's class was changed, or the selection changed. */
  changed(what: 'boxes' | 'class' | 'selection'): void;
}

/** A press in progress: drawing a new box from `start`, or dragging `grip` of box `index` (as it was, `original`). */
type Drag =
  | { kind: 'draw'; pointerId: number; start: Point; client: Point; end: Point }
  | { kind: 'edit'; pointerId: number; start: Point; client: Point; index: number; grip: Grip; original: ClassedBox['box'] };

export class BoxEditor {
  private image: ImageBitmap | undefined;
  private boxes: ClassedBox[] = [];
  private drag: Drag | undefined;
  /** The index of the selected box in the shown image's list. */
  selected: number | undefined;

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly hooks: EditorHooks,
  ) {
    canvas.addEventListener('pointerdown', (event) => this.press(event));
    canvas.addEventListener('pointermove', (event) => this.move(event));
    canvas.addEventListener('pointerup', (event) => this.release(event, true));
    canvas.addEventListener('pointercancel', (event) => this.release(event, false));
    canvas.addEventListener('keydown', (event) => {
      if (event.key === 'Delete' || event.key === 'Backspace') {
        event.preventDefault();
        this.deleteSelected();
      } else if (event.key === 'Escape') {
        this.select(undefined);
      }
    });
  }

  /**
   * Shows `image` with `boxes`, which the editor then changes in place (the caller keeps the array). The
   * canvas takes the image's pixel size. The editor does not close the bitmap.
   */
  show(image: ImageBitmap | undefined, boxes: ClassedBox[]): void {
    this.image = image;
    this.boxes = boxes;
    this.drag = undefined;
    this.select(undefined);
    this.canvas.hidden = image === undefined;
    if (image !== undefined) {
      this.canvas.width = image.width;
      this.canvas.height = image.height;
    }
    this.draw();
  }

  /** Selects box `index` (undefined: none). */
  select(index: number | undefined): void {
    this.selected = index;
    this.canvas.dataset.selected = index === undefined ? '' : String(index);
    this.hooks.changed('selection');
    this.draw();
  }

  /** Removes the selected box, if any. */
  deleteSelected(): void {
    if (this.selected === undefined || this.drag !== undefined) return;
    this.boxes.splice(this.selected, 1);
    this.hooks.changed('boxes');
    this.select(undefined);
  }

  /** Gives the selected box (if any) another class. */
  setSelectedClass(name: string): void {
    if (this.selected === undefined) return;
    this.boxes[this.selected].className = name;
    this.hooks.changed('class');
    this.draw();
  }

  /** Image pixels per CSS pixel, from the canvas's displayed width. */
  private scale(): number {
    const width = this.canvas.getBoundingClientRect().width;
    return width > 0 ? this.canvas.width / width : 1;
  }

  /** A pointer position in image pixels (the canvas has no border or padding, so its box is the image). */
  private toImage(event: PointerEvent): Point {
    const rect = this.canvas.getBoundingClientRect();
    return { x: ((event.clientX - rect.left) * this.canvas.width) / rect.width, y: ((event.clientY - rect.top) * this.canvas.height) / rect.height };
  }

  private get size() {
    return { width: this.canvas.width, height: this.canvas.height };
  }

  private press(event: PointerEvent): void {
    if (this.image === undefined || event.button !== 0 || this.drag !== undefined) return;
    this.canvas.focus({ preventScroll: true });
    this.canvas.setPointerCapture(event.pointerId);
    const point = this.toImage(event);
    const client = { x: event.clientX, y: event.clientY };
    // Shift draws even over a box, so that a box can be drawn inside another.
    const hit = event.shiftKey ? undefined : gripAt(this.boxes.map((b) => b.box), this.selected, point, HANDLE_REACH * this.scale());
    if (hit === undefined) {
      this.drag = { kind: 'draw', pointerId: event.pointerId, start: point, client, end: point };
      this.select(undefined);
    } else {
      this.drag = { kind: 'edit', pointerId: event.pointerId, start: point, client, index: hit.index, grip: hit.grip, original: { ...this.boxes[hit.index].box } };
      this.select(hit.index);
    }
  }

  private move(event: PointerEvent): void {
    const drag = this.drag;
    const point = this.toImage(event);
    if (drag === undefined || drag.pointerId !== event.pointerId) {
      if (this.image === undefined) return;
      const hit = gripAt(this.boxes.map((b) => b.box), this.selected, point, HANDLE_REACH * this.scale());
      this.canvas.style.cursor = hit === undefined || event.shiftKey ? 'crosshair' : CURSORS[hit.grip];
      return;
    }
    if (drag.kind === 'draw') {
      drag.end = point;
    } else {
      this.boxes[drag.index].box = dragBox(drag.original, drag.grip, point.x - drag.start.x, point.y - drag.start.y, this.size);
    }
    this.draw();
  }

  private release(event: PointerEvent, keep: boolean): void {
    const drag = this.drag;
    if (drag === undefined || drag.pointerId !== event.pointerId) return;
    this.drag = undefined;
    const moved = Math.max(Math.abs(event.clientX - drag.client.x), Math.abs(event.clientY - drag.client.y)) >= CLICK_SLOP;
    if (drag.kind === 'draw') {
      const box = keep && moved ? boxFromDrag(drag.start, this.toImage(event), this.size) : undefined;
      if (box !== undefined) {
        this.boxes.push({ box, className: this.hooks.newClass() });
        this.hooks.changed('boxes');
        this.select(this.boxes.length - 1);
      }
    } else if (!keep || !moved) {
      // A click selects without moving (a jitter of a pixel or two is not an edit); a cancelled drag undoes itself.
      this.boxes[drag.index].box = drag.original;
    } else {
      const point = this.toImage(event);
      this.boxes[drag.index].box = dragBox(drag.original, drag.grip, point.x - drag.start.x, point.y - drag.start.y, this.size);
      this.hooks.changed('boxes');
    }
    this.draw();
  }

  /** Draws the image, every box with its class, the box being drawn, and the selected box's handles. */
  draw(): void {
    const context = this.canvas.getContext('2d');
    if (context === null || this.image === undefined) return;
    // Line widths and text in CSS pixels, whatever the image's size on the page.
    const unit = this.scale();
    context.drawImage(this.image, 0, 0);
    context.lineWidth = 2 * unit;
    context.font = `${12 * unit}px system-ui, sans-serif`;
    context.textBaseline = 'top';
    this.boxes.forEach(({ box, className }, index) => {
      const colour = classColour(Math.max(0, this.hooks.classIndex(className.trim())));
      context.strokeStyle = cssColour(colour);
      context.setLineDash(index === this.selected ? [6 * unit, 3 * unit] : []);
      context.strokeRect(box.x, box.y, box.width, box.height);
      const text = className.trim() || '? (no class)';
      const width = context.measureText(text).width + 6 * unit;
      const top = box.y >= 16 * unit ? box.y - 16 * unit : box.y;
      context.fillStyle = cssColour(colour);
      context.fillRect(box.x, top, width, 16 * unit);
      context.fillStyle = cssColour(textColourOn(colour));
      context.fillText(text, box.x + 3 * unit, top + 2 * unit);
    });
    context.setLineDash([]);
    if (this.drag?.kind === 'draw') {
      const box = boxFromDrag(this.drag.start, this.drag.end, this.size);
      context.strokeStyle = '#ffffff';
      if (box !== undefined) context.strokeRect(box.x, box.y, box.width, box.height);
    }
    const selected = this.selected === undefined ? undefined : this.boxes[this.selected];
    if (selected !== undefined) {
      context.fillStyle = '#ffffff';
      context.strokeStyle = '#1d1d1f';
      context.lineWidth = unit;
      for (const handle of HANDLES) {
        const { x, y } = handlePoint(selected.box, handle);
        context.fillRect(x - 4 * unit, y - 4 * unit, 8 * unit, 8 * unit);
        context.strokeRect(x - 4 * unit, y - 4 * unit, 8 * unit, 8 * unit);
      }
    }
  }
}
