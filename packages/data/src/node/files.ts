import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

import { DataError } from '../errors.js';

/** True when `path` is an existing folder. */
export function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** True when `path` is an existing file. */
export function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * A path for messages: as the user gave it (paths under a dataset folder are built from the folder as given),
 * so an absolute path stays absolute and a relative one relative. Kept as a function so that every message
 * names files one way.
 */
export function displayPath(path: string): string {
  return path;
}

/**
 * Checks that every image of a split exists (one folder listing, not a stat per file) and fails with one
 * line naming how many are missing and the first few.
 */
export function checkImagesExist(folder: string, names: readonly string[], what: string): void {
  let listing: Set<string>;
  try {
    listing = new Set(readdirSync(folder));
  } catch {
    throw new DataError(`${what}: image folder ${displayPath(folder)} cannot be read`);
  }
  const missing = names.filter((name) => !(listing.has(name) || (name.includes('/') && existsSync(join(folder, name)))));
  if (missing.length > 0) {
    const shown = missing.slice(0, 3).join(', ');
    throw new DataError(
      `${what}: ${missing.length} of ${names.length} images not found in ${displayPath(folder)} (${shown}${missing.length > 3 ? ', ...' : ''})`,
    );
  }
}
