import { join, resolve } from 'node:path';

import { isDirectory, isFile } from '@edet/data/node';
import { CHECKPOINT_FILE } from '@edet/train/node';

import { CliError } from '../errors.js';

/** The checkpoint file a `--resume` argument means: a run folder or its `checkpoint.json`. */
export function resolveCheckpointPath(target: string): string {
  const path = resolve(target);
  if (isDirectory(path)) {
    const file = join(path, CHECKPOINT_FILE);
    if (!isFile(file)) throw new CliError(`--resume ${target}: no ${CHECKPOINT_FILE} in that folder (no checkpoint written yet?)`);
    return file;
  }
  if (isFile(path)) return path;
  throw new CliError(`--resume ${target}: no such folder or checkpoint file`);
}
