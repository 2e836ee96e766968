import { classColour, classLabel, cssColour, placeTags, textColourOn } from '@edet/model';
import type { ShownDetection } from './select-detections.js';

/**
 * Draws the image at its own size on `canvas` (CSS scales it to the page), then each detection's box and a
 * `label score` tag in its class colour (tags never overlap: see `placeTags`). Boxes are in image pixels, so no conversion is needed.
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
  // Boxes worst first, so the best boxes are drawn on top; tags placed best first, so that where tags would
  // overlap the better detection keeps its tag.
  const tags = detections.map((detection) => {
    const text = `${classLabel(labels, detection.classId)} ${detection.score.toFixed(2)}`;
    return { text, box: detection.box, width: context.measureText(text).width + 4 * unit, height: 9 * unit };
  });
  const places = placeTags(tags, image);
  for (const detection of [...detections].reverse()) {
    const [x1, y1, x2, y2] = detection.box;
    context.strokeStyle = cssColour(classColour(detection.classId));
    context.strokeRect(x1, y1, x2 - x1, y2 - y1);
  }
  for (let i = detections.length - 1; i >= 0; i--) {
    const place = places[i];
    if (place === null) continue;
    const colour = classColour(detections[i].classId);
    context.fillStyle = cssColour(colour);
    context.fillRect(place.left, place.top, place.width, place.height);
    context.fillStyle = cssColour(textColourOn(colour));
    context.fillText(tags[i].text, place.left + 2 * unit, place.top + unit);
  }
}
