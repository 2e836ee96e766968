import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

import { displayPath } from '@edet/data/node';

import { TrainError } from '../errors.js';

/** The files of a run that a new run in the same folder would replace or append to. */
const RUN_FILE = /^(checkpoint\.json|weights\.safetensors|best\.safetensors|log\.jsonl|training\.png|classes\.json|state-\d+\.safetensors)$/;

/** The run files in `folder` (sorted; none when it does not exist). */
export async function runFilesIn(folder: string): Promise<string[]> {
  try {
    return (await readdir(folder)).filter((name) => RUN_FILE.test(name)).sort();
  } catch {
    return [];
  }
}

/**
 * Makes sure a new run may write into `folder`: one that holds another run's files (a finished or
 * interrupted run: checkpoint, weights, state, log) is refused unless `overwrite`, when those files are
 * removed first (so the log starts afresh). Call it holding the folder's lock. `show` writes paths in messages.
 * @throws TrainError naming the folder, what it holds, and how to continue that run or start elsewhere
 */
export async function claimRunFolder(folder: string, overwrite: boolean, show: (path: string) => string = displayPath): Promise<void> {
  const files = await runFilesIn(folder);
  if (files.length === 0) return;
  if (!overwrite) {
    const shown = show(folder);
    throw new TrainError(
      `--out ${shown} already holds a training run (${files.slice(0, 4).join(', ')}${files.length > 4 ? ', ...' : ''}); ` +
        `continue it with --resume ${shown}, choose another --out, or pass --overwrite to replace it`,
    );
  }
  for (const name of files) await rm(join(folder, name), { force: true });
}
