// The bundled BCCD model's files on disk, for Node programs (the CLI, tests, a user's script).
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

import { BCCD_D0_WEIGHTS_URL, BccdD0Error } from './index.js';

export * from './index.js';

/** The package folder: `model.json`, `weights.safetensors` and the model card `README.md`. */
export const BCCD_D0_DIRECTORY: string = fileURLToPath(new URL('..', import.meta.url));

/** Absolute path of the weights file. */
export const BCCD_D0_WEIGHTS_FILE: string = fileURLToPath(BCCD_D0_WEIGHTS_URL);

/**
 * Reads the weights file (15.6 MB, F32).
 * @returns a new array the caller owns; hand it to `createModelFromManifest(BCCD_D0_MANIFEST, bytes)`
 * @throws BccdD0Error naming the file when it cannot be read
 */
export async function readBccdD0Weights(): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(BCCD_D0_WEIGHTS_FILE));
  } catch (error) {
    throw new BccdD0Error(`${BCCD_D0_WEIGHTS_FILE}: cannot be read (${error instanceof Error ? error.message : String(error)})`);
  }
}
