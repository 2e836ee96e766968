import { type UploadedDataset, TrainDataError, readCocoUpload } from './coco-upload.js';
import { readVocUpload } from './voc-upload.js';
import { expandZips } from './zip-upload.js';

/** The image files the Train section reads (by name). */
export const IMAGE_FILE = /\.(jpe?g|png|gif|bmp|webp)$/i;
const ending = (suffix: string) => (file: File) => file.name.toLowerCase().endsWith(suffix);

/** A training set read from the chosen files. */
export interface ReadUpload {
  dataset: UploadedDataset;
  /** The images and annotation files as chosen, zips replaced by what they hold: the worker's images come from here. */
  files: File[];
  /** `coco` or `voc`. */
  format: 'coco' | 'voc';
}

/**
 * Reads a training set from the files a user chose (files, a folder, or zips of either): one COCO
 * instances `.json`, or Pascal VOC `.xml` files (one per image), with the images they describe.
 * @param validationFraction in [0, 1): the part of the images held out, split with `seed`
 * @throws TrainDataError naming `files` (no annotations, or more than one COCO file), `zip`, or what the
 *   COCO or VOC reader names
 */
export async function readUpload(chosen: readonly File[], validationFraction: number, seed: number): Promise<ReadUpload> {
  const files = await expandZips(chosen);
  const jsons = files.filter(ending('.json'));
  const xmls = files.filter(ending('.xml'));
  const imageNames = files.filter((file) => IMAGE_FILE.test(file.name)).map((file) => file.name);
  if (jsons.length > 1) throw new TrainDataError('files', `files: expected one COCO .json file, found ${jsons.length} (${jsons.map((file) => file.name).join(', ')})`);
  if (jsons.length === 1) {
    return { dataset: readCocoUpload(await jsons[0].text(), jsons[0].name, imageNames, validationFraction, seed), files, format: 'coco' };
  }
  if (xmls.length > 0) {
    const texts = await Promise.all(xmls.map(async (file) => ({ name: file.name, text: await file.text() })));
    return { dataset: readVocUpload(texts, imageNames, validationFraction, seed), files, format: 'voc' };
  }
  throw new TrainDataError('files', 'files: expected a COCO .json file or Pascal VOC .xml files with the images (or a .zip of them), found neither');
}
