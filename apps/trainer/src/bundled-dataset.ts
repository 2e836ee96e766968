import { resolve } from 'node:path';

import { displayPath } from '@edet/data/node';

import { SAMPLES_DIRECTORY } from './samples.js';

/** The bundled copy of BCCD (COCO layout), trained on when no `--data` is given. */
export const BUNDLED_DATASET = resolve(SAMPLES_DIRECTORY, '..', 'bccd');

/** How messages name a dataset: `bundled BCCD (<path>)` for the bundled copy, else its path. */
export function describeDataset(root: string): string {
  return resolve(root) === BUNDLED_DATASET ? `bundled BCCD (${displayPath(BUNDLED_DATASET)})` : displayPath(root);
}
