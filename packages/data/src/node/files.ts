import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

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

/** A path as the user would write it: relative to the working folder when shorter. */
export function displayPath(path: string): string {
  const fromHere = relative(process.cwd(), path);
  return fromHere !== '' && fromHere.length < path.length ? fromHere : path;
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
