import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

import { formatFromExtension } from '@edet/data';

/**
 * The folder of bundled sample images. `src/` and `dist/` both sit one level below the package root,
 * so the same relative path works from the sources (tests) and from the build (the CLI).
 */
export const SAMPLES_DIRECTORY = fileURLToPath(new URL('../assets/samples/', import.meta.url));

/** The bundled sample images (JPEG and PNG files in `assets/samples/`), sorted by name. */
export function sampleImages(): string[] {
  return readdirSync(SAMPLES_DIRECTORY)
    .filter((name) => formatFromExtension(name) !== undefined)
    .sort()
    .map((name) => join(SAMPLES_DIRECTORY, name));
}
