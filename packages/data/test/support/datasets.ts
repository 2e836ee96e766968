import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The copy of BCCD (COCO layout) the command line trains on by default; the data tests read it in place. */
export const BUNDLED_DATASET = fileURLToPath(new URL('../../../../apps/trainer/assets/bccd', import.meta.url));

/** A fresh temporary folder. */
export function temporaryFolder(prefix = 'edet-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

interface CocoJson {
  images: { id: number; file_name: string }[];
  annotations: { image_id: number }[];
}

/**
 * A small COCO dataset cut from the bundled BCCD: the first `train` images of its train split and the first
 * `val` of its val split, in a new folder (`instances_train.json`, `instances_val.json`, `images/`).
 */
export function tinyCocoDataset(train = 2, val = 1): string {
  const folder = temporaryFolder('edet-data-');
  mkdirSync(join(folder, 'images'));
  for (const [split, count] of [['train', train], ['val', val]] as const) {
    const coco = JSON.parse(readFileSync(join(BUNDLED_DATASET, `instances_${split}.json`), 'utf8')) as CocoJson;
    const images = coco.images.slice(0, count);
    const ids = new Set(images.map((image) => image.id));
    for (const image of images) copyFileSync(join(BUNDLED_DATASET, 'images', image.file_name), join(folder, 'images', image.file_name));
    const subset = { ...coco, images, annotations: coco.annotations.filter((a) => ids.has(a.image_id)) };
    if (count > 0) writeFileSync(join(folder, `instances_${split}.json`), JSON.stringify(subset));
  }
  return folder;
}
