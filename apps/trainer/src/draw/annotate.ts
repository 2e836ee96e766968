import { createCanvas, ImageData, type Canvas, type SKRSContext2D } from '@napi-rs/canvas';
import type { Detection, RgbImage } from '@edet/model';

import { toRgba } from '@edet/data';
import { classColour, cssColour, textColourOn } from './palette.js';
import { labelFontFamily } from './fonts.js';

/** Options of `annotateImage`. */
export interface AnnotateOptions {
  /** The name printed for a class id. */
  labelOf: (classId: number) => string;
  /** Font family for labels; default: the best one installed. `null` draws boxes without text. */
  fontFamily?: string | null;
}

/**
 * Draws the image with one rectangle per detection and a `label score` tag above it, one colour per class.
 * Boxes are in the image's own pixels (`[x1, y1, x2, y2]`); parts outside the image are clipped.
 * @returns a new canvas the size of the image; the caller encodes it.
 */
export function annotateImage(image: RgbImage, detections: readonly Detection[], options: AnnotateOptions): Canvas {
  const canvas = createCanvas(image.width, image.height);
  const context = canvas.getContext('2d');
  context.putImageData(new ImageData(toRgba(image), image.width, image.height), 0, 0);

  // Scale line and text with the image, so tags stay legible on large photos and do not swamp small ones.
  const shortSide = Math.min(image.width, image.height);
  const lineWidth = Math.max(2, Math.round(shortSide / 250));
  const fontSize = Math.max(11, Math.round(shortSide / 40));
  const fontFamily = options.fontFamily === undefined ? labelFontFamily() : options.fontFamily;

  // Lowest score first, so the most confident boxes and tags end up on top.
  const ordered = [...detections].sort((a, b) => a.score - b.score);
  for (const detection of ordered) {
    const colour = classColour(detection.classId);
    const [x1, y1, x2, y2] = detection.box;
    context.lineWidth = lineWidth;
    context.strokeStyle = cssColour(colour);
    context.strokeRect(x1, y1, x2 - x1, y2 - y1);
    if (fontFamily !== undefined && fontFamily !== null) {
      const text = `${options.labelOf(detection.classId)} ${detection.score.toFixed(2)}`;
      drawTag(context, text, x1 - lineWidth / 2, y1 - lineWidth / 2, { colour, fontSize, fontFamily, imageWidth: image.width });
    }
  }
  return canvas;
}

/** Draws `text` on a filled tag whose bottom-left corner is (x, y), moved inside the image if needed. */
function drawTag(
  context: SKRSContext2D,
  text: string,
  x: number,
  y: number,
  style: { colour: readonly [number, number, number]; fontSize: number; fontFamily: string; imageWidth: number },
): void {
  context.font = `${style.fontSize}px "${style.fontFamily}"`;
  context.textBaseline = 'top';
  const padding = Math.max(1, Math.round(style.fontSize / 6));
  const width = context.measureText(text).width + 2 * padding;
  const height = style.fontSize + 2 * padding;
  const left = Math.max(0, Math.min(x, style.imageWidth - width));
  // Above the box when there is room, otherwise just inside its top edge.
  const top = y - height >= 0 ? y - height : Math.max(0, y);
  context.fillStyle = cssColour(style.colour);
  context.fillRect(left, top, width, height);
  context.fillStyle = cssColour(textColourOn(style.colour));
  context.fillText(text, left + padding, top + padding);
}
