import { DataError, type VocAnnotation, parseVocAnnotation, vocImageName, vocSamples } from '@edet/data';

import { type UploadedDataset, TrainDataError, baseName, checkValidationFraction, listed, splitUpload } from './coco-upload.js';

/** An uploaded annotation file's name and text. */
export interface UploadedText {
  name: string;
  text: string;
}

/**
 * Reads Pascal VOC annotation files (one `.xml` per image) against the uploaded image files, as
 * `edet train` reads a VOC folder: class names are every object name, sorted; difficult objects are left
 * out; an image is found by its `<filename>`, else by the file's name with an image extension. The images
 * are then split as a COCO upload is (`splitUpload`).
 * @param imageNames the names of the uploaded images (paths are reduced to their last part)
 * @param validationFraction in [0, 1)
 * @throws TrainDataError naming `xml` (no files, a file that is not a VOC annotation, no named object, no
 *   usable box), `images` (annotated images that were not uploaded) or `validationFraction`
 */
export function readVocUpload(xmlFiles: readonly UploadedText[], imageNames: readonly string[], validationFraction: number, seed: number): UploadedDataset {
  checkValidationFraction(validationFraction);
  if (xmlFiles.length === 0) throw new TrainDataError('xml', 'xml: expected at least one Pascal VOC .xml annotation file');
  const annotations = new Map<string, VocAnnotation>();
  for (const file of [...xmlFiles].sort((a, b) => (baseName(a.name) < baseName(b.name) ? -1 : 1))) {
    const id = baseName(file.name).replace(/\.xml$/i, '');
    if (annotations.has(id)) throw new TrainDataError('xml', `xml: two annotation files are named ${id}.xml`);
    try {
      annotations.set(id, parseVocAnnotation(file.text));
    } catch (error) {
      throw new TrainDataError('xml', `${baseName(file.name)}: not a Pascal VOC annotation (${error instanceof Error ? error.message : String(error)})`);
    }
  }
  const uploaded = new Set(imageNames.map(baseName));
  const ids = [...annotations.keys()];
  const names = ids.map((id) => vocImageName(id, annotations.get(id)!, uploaded));
  const missing = names.filter((name) => !uploaded.has(name));
  if (missing.length > 0) throw new TrainDataError('images', `images: ${missing.length} image(s) that the .xml files describe were not chosen (${listed(missing)})`);
  let samples;
  try {
    samples = vocSamples(annotations, ids, names, (name) => name, 'xml');
  } catch (error) {
    if (error instanceof DataError) throw new TrainDataError('xml', error.message);
    throw error;
  }
  return splitUpload(samples.samples, samples.classNames, 'xml', 'xml', validationFraction, seed);
}
