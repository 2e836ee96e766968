/** The boxes drawn in the page, written as a COCO instances file. */
import { type CocoInstances, MIN_BOX_SIDE } from '@edet/data';

import { TrainDataError } from '../train/coco-upload.js';
import type { LabelBox } from './box-geometry.js';

/** A box and the name of its class, as typed (surrounding spaces are not part of the name). */
export interface ClassedBox {
  box: LabelBox;
  className: string;
}

/** An image of the labelling list: its file name, its size in pixels and its boxes, in drawing order. */
export interface LabelledImage {
  fileName: string;
  width: number;
  height: number;
  boxes: readonly ClassedBox[];
}

/** A COCO instances file as `labelsToCoco` writes it. */
export interface CocoLabels extends CocoInstances {
  info: { description: string };
  images: { id: number; file_name: string; width: number; height: number }[];
  annotations: { id: number; image_id: number; category_id: number; bbox: [number, number, number, number]; area: number; iscrowd: 0 }[];
  categories: { id: number; name: string }[];
}

/** The class names of the boxes in first-use order: image by image, box by box in drawing order. */
export function classesInUse(images: readonly LabelledImage[]): string[] {
  const names = new Set<string>();
  for (const image of images) for (const { className } of image.boxes) if (className.trim() !== '') names.add(className.trim());
  return [...names];
}

const listed = (items: readonly string[]) => items.slice(0, 3).join(', ') + (items.length > 3 ? ` and ${items.length - 3} more` : '');

/** Every reason `images` cannot be written, as `<file> box <n>: <why>` (n from 1). */
function problemsOf(images: readonly LabelledImage[]): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const image of images) {
    if (seen.has(image.fileName)) problems.push(`${image.fileName}: listed twice (file names must be unique)`);
    seen.add(image.fileName);
    const { width, height } = image;
    if (!(Number.isInteger(width) && width > 0 && Number.isInteger(height) && height > 0)) {
      problems.push(`${image.fileName}: size ${width}x${height} is not whole positive pixels`);
      continue;
    }
    image.boxes.forEach(({ box, className }, index) => {
      const where = `${image.fileName} box ${index + 1}`;
      if (className.trim() === '') problems.push(`${where}: no class`);
      const { x, y, width: w, height: h } = box;
      const fits = [x, y, w, h].every(Number.isFinite) && x >= 0 && y >= 0 && x + w <= width && y + h <= height;
      if (!fits) problems.push(`${where}: [${x}, ${y}, ${w}, ${h}] is not inside the ${width}x${height} image`);
      else if (w < MIN_BOX_SIDE || h < MIN_BOX_SIDE) problems.push(`${where}: ${w}x${h} is smaller than ${MIN_BOX_SIDE} pixel`);
    });
  }
  return problems;
}

/**
 * Writes the labelled images as a COCO instances file: images with ids 1.. in list order (an image without
 * boxes is kept, as an image with nothing to find), categories with ids 1.. in first-use order
 * (`classesInUse`), one annotation per box (ids 1.., `bbox` `[x, y, w, h]` in image pixels as drawn,
 * `area` `w * h`, `iscrowd` 0).
 * @throws TrainDataError naming `labels`: no images, no box at all, or any box without a class, outside its
 *   image or below `MIN_BOX_SIDE`, or a file name listed twice (each named with its image and box number)
 */
export function labelsToCoco(images: readonly LabelledImage[]): CocoLabels {
  if (images.length === 0) throw new TrainDataError('labels', 'labels: no images yet: add images and draw boxes on them first');
  if (images.every((image) => image.boxes.length === 0)) throw new TrainDataError('labels', 'labels: no boxes yet: draw at least one box first');
  const problems = problemsOf(images);
  if (problems.length > 0) throw new TrainDataError('labels', `labels: ${problems.length} problem(s): ${listed(problems)}`);
  const classNames = classesInUse(images);
  const categoryOf = new Map(classNames.map((name, index) => [name, index + 1]));
  const annotations: CocoLabels['annotations'] = [];
  images.forEach((image, index) => {
    for (const { box, className } of image.boxes) {
      annotations.push({
        id: annotations.length + 1,
        image_id: index + 1,
        category_id: categoryOf.get(className.trim())!,
        bbox: [box.x, box.y, box.width, box.height],
        area: box.width * box.height,
        iscrowd: 0,
      });
    }
  });
  return {
    info: { description: 'boxes drawn in the edet demo' },
    images: images.map((image, index) => ({ id: index + 1, file_name: image.fileName, width: image.width, height: image.height })),
    annotations,
    categories: classNames.map((name, index) => ({ id: index + 1, name })),
  };
}
