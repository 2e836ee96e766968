import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { BCCD_D0_DIRECTORY } from '@edet/bccd-d0/node';
import { MODEL_MANIFEST_FILE, type ModelManifest, parseModelManifest } from '@edet/model';
import { FileFormatError } from '@edet/tensor';

/**
 * The model `edet detect` and `edet eval` use when no `--weights` is given: EfficientDet-D0 trained on the
 * bundled BCCD dataset, the `@edet/bccd-d0` package (which the web demo publishes too).
 */
export const BUNDLED_MODEL_DIRECTORY = BCCD_D0_DIRECTORY;

/** A model folder: its manifest and the weights file it names. */
export interface BundledModel {
  manifest: ModelManifest;
  /** Absolute path of the weights file. */
  weightsFile: string;
  /** Absolute path of `model.json`. */
  manifestFile: string;
}

/**
 * Reads the model folder's `model.json`. Returns `undefined` when the folder has none (the CLI then falls
 * back to untrained weights, and says so).
 * @throws FileFormatError for a manifest that exists but is not valid
 */
export async function readBundledModel(directory: string = BUNDLED_MODEL_DIRECTORY): Promise<BundledModel | undefined> {
  const manifestFile = join(directory, MODEL_MANIFEST_FILE);
  let text: string;
  try {
    text = await readFile(manifestFile, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new FileFormatError(manifestFile, `cannot be read (${error instanceof Error ? error.message : String(error)})`);
  }
  const manifest = parseModelManifest(text, manifestFile);
  return { manifest, weightsFile: join(directory, manifest.weights), manifestFile };
}
