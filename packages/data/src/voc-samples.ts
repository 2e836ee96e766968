import { checkBox } from './boxes.js';
import type { AnnotationIssue, Box, Sample } from './dataset.js';
import { DataError } from './errors.js';
import type { VocAnnotation } from './voc-annotation.js';

const IMAGE_EXTENSIONS = ['.jpg', '.jpeg', '.png', '.JPG', '.JPEG', '.PNG'];

/**
 * The image file of a VOC annotation among the files there are: its `<filename>` when present, else the id
 * with an image extension, else the `<filename>` or `<id>.jpg` (which a later existence check names).
 */
export function vocImageName(id: string, annotation: VocAnnotation, present: ReadonlySet<string>): string {
  if (annotation.filename !== undefined && present.has(annotation.filename)) return annotation.filename;
  const byId = IMAGE_EXTENSIONS.map((extension) => id + extension).find((name) => present.has(name));
  const dot = id.lastIndexOf('.');
  const hasExtension = dot > id.lastIndexOf('/') + 1; // as path.extname: a leading dot starts no extension
  return byId ?? annotation.filename ?? (hasExtension ? id : `${id}.jpg`);
}

/** What a set of VOC annotations gives, wherever the files were read from (a folder, or uploaded files). */
export interface VocSamples {
  /** Every object name in `annotations` (not only the listed images'), sorted: all splits share one list. */
  classNames: string[];
  /** One per listed id, in order; `imageId` is the id's 1-based position among all annotations. */
  samples: Sample[];
  issues: AnnotationIssue[];
  notes: string[];
}

/**
 * Converts VOC annotations into samples. Difficult objects are left out; bad boxes are dropped or clipped to
 * the declared size and recorded in `issues`.
 * @param annotations every annotation file, by id (its name without `.xml`), in a stable order
 * @param ids the ids to make samples of (a split), each a key of `annotations`
 * @param imageNames the image file name of each listed id; `imagePath` turns it into `Sample.file`
 * @param where names the annotations in messages (a folder or file list)
 * @throws DataError when no object has a `<name>`
 */
export function vocSamples(
  annotations: ReadonlyMap<string, VocAnnotation>,
  ids: readonly string[],
  imageNames: readonly string[],
  imagePath: (name: string) => string,
  where: string,
): VocSamples {
  const classNames = [...new Set([...annotations.values()].flatMap((a) => a.objects.map((o) => o.name)).filter((n) => n !== ''))].sort();
  if (classNames.length === 0) throw new DataError(`${where}: no object has a <name>`);
  const classIndex = new Map(classNames.map((name, index) => [name, index]));
  const imageIds = new Map([...annotations.keys()].map((id, index) => [id, index + 1]));
  const issues: AnnotationIssue[] = [];
  let difficult = 0;
  const samples: Sample[] = ids.map((id, index) => {
    const annotation = annotations.get(id)!;
    const name = imageNames[index];
    const width = annotation.width > 0 ? annotation.width : Infinity;
    const height = annotation.height > 0 ? annotation.height : Infinity;
    const boxes: Box[] = [];
    for (const object of annotation.objects) {
      if (object.difficult) {
        difficult += 1;
        continue;
      }
      const classId = classIndex.get(object.name);
      if (classId === undefined) {
        issues.push({ image: name, action: 'dropped', reason: 'object without a <name>' });
        continue;
      }
      const [x1, y1, x2, y2] = object.box;
      const box = checkBox({ x1, y1, x2, y2, classId }, width, height, name, issues);
      if (box) boxes.push(box);
    }
    return { file: imagePath(name), name, width: annotation.width, height: annotation.height, boxes, imageId: imageIds.get(id)! };
  });
  const notes = difficult > 0 ? [`left out ${difficult} object${difficult === 1 ? '' : 's'} marked difficult`] : [];
  return { classNames, samples, issues, notes };
}
