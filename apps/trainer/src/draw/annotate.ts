import { createCanvas, ImageData, type Canvas, type SKRSContext2D } from '@napi-rs/canvas';
import { type Detection, type RgbImage, type TagRect, classColour, cssColour, placeTags, textColourOn } from '@edet/model';

import { toRgba } from '@edet/data';
import { labelFontFamily } from './fonts.js';

/** Options of `annotateImage`. */
export interface AnnotateOptions {
  /** The name printed for a class id. */
  labelOf: (classId: number) => string;
  /** Font family for labels; default: the best one installed. `null` draws boxes without text. */
  fontFamily?: string | null;
}

/**
 * Draws the image with one rectangle per detection and a `label score` tag beside it (tags never overlap:
 * see `placeTags`), one colour per class.
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

  // Boxes lowest score first, so the most confident ones end up on top; tags placed best first, so that
  // where tags would overlap the better detection keeps its tag.
  const ordered = [...detections].sort((a, b) => a.score - b.score);
  context.lineWidth = lineWidth;
  for (const detection of ordered) {
    const [x1, y1, x2, y2] = detection.box;
    context.strokeStyle = cssColour(classColour(detection.classId));
    context.strokeRect(x1, y1, x2 - x1, y2 - y1);
  }
  if (fontFamily === undefined || fontFamily === null) return canvas;
  context.font = `${fontSize}px "${fontFamily}"`;
  context.textBaseline = 'top';
  const padding = Math.max(1, Math.round(fontSize / 6));
  const bestFirst = [...ordered].reverse();
  const tags = bestFirst.map((detection) => {
    const text = `${options.labelOf(detection.classId)} ${detection.score.toFixed(2)}`;
    const [x1, y1, x2, y2] = detection.box;
    // The tag sits on the box's outer edge (half the line width out).
    const box = [x1 - lineWidth / 2, y1 - lineWidth / 2, x2 + lineWidth / 2, y2 + lineWidth / 2];
    return { text, box, width: context.measureText(text).width + 2 * padding, height: fontSize + 2 * padding };
  });
  const places = placeTags(tags, image);
  for (let i = bestFirst.length - 1; i >= 0; i--) {
    const place = places[i];
    if (place !== null) drawTag(context, tags[i].text, place, classColour(bestFirst[i].classId), padding);
  }
  return canvas;
}

/** Draws `text` on a filled tag in the class colour, with the text colour that reads best on it. */
function drawTag(context: SKRSContext2D, text: string, place: TagRect, colour: readonly [number, number, number], padding: number): void {
  context.fillStyle = cssColour(colour);
  context.fillRect(place.left, place.top, place.width, place.height);
  context.fillStyle = cssColour(textColourOn(colour));
  context.fillText(text, place.left + padding, place.top + padding);
}
