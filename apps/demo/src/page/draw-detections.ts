import { classColour, classLabel, cssColour } from '@edet/model';
import type { ShownDetection } from './select-detections.js';

/**
 * Draws the image at its own size on `canvas` (CSS scales it to the page), then each detection's box and a
 * `label score` tag in its class colour. Boxes are in image pixels, so no conversion is needed.
 */
export function drawDetections(
  canvas: HTMLCanvasElement,
  image: CanvasImageSource & { width: number; height: number },
  detections: readonly ShownDetection[],
  labels: readonly string[],
): void {
  canvas.width = image.width;
  canvas.height = image.height;
  const context = canvas.getContext('2d');
  if (context === null) return;
  context.drawImage(image, 0, 0);
  // Line width and font follow the image size, so the tags stay readable on large and small images.
  const unit = Math.max(1, Math.round(Math.max(image.width, image.height) / 320));
  context.lineWidth = 2 * unit;
  context.font = `${7 * unit}px system-ui, sans-serif`;
  context.textBaseline = 'top';
  // Worst first, so the best boxes are drawn on top.
  for (const detection of [...detections].reverse()) {
    const [x1, y1, x2, y2] = detection.box;
    const colour = cssColour(classColour(detection.classId));
    context.strokeStyle = colour;
    context.strokeRect(x1, y1, x2 - x1, y2 - y1);
    const tag = `${classLabel(labels, detection.classId)} ${detection.score.toFixed(2)}`;
    const tagWidth = context.measureText(tag).width + 4 * unit;
    const tagHeight = 9 * unit;
    const tagTop = y1 >= tagHeight ? y1 - tagHeight : y1;
    context.fillStyle = colour;
    context.fillRect(x1, tagTop, tagWidth, tagHeight);
    context.fillStyle = 'white';
    context.fillText(tag, x1 + 2 * unit, tagTop + unit);
  }
}
