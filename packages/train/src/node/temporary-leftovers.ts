import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

import { processAlive } from './process-alive.js';

/** `weights.safetensors.tmp-1234`: what `writeFileAtomic` leaves behind when its process is killed mid-write. */
const TEMPORARY = /\.tmp-(\d+)$/;

/**
 * Removes the temporary files of `writeFileAtomic` in `folder` whose process is gone (killed while writing a
 * checkpoint); those of running processes stay. Returns the names removed.
 */
export async function removeTemporaryLeftovers(folder: string): Promise<string[]> {
  const removed: string[] = [];
  for (const name of await readdir(folder)) {
    const pid = TEMPORARY.exec(name)?.[1];
    if (pid === undefined || Number(pid) === process.pid || processAlive(Number(pid))) continue;
    await rm(join(folder, name), { force: true });
    removed.push(name);
  }
  return removed.sort();
}
