import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

import { displayPath } from '@edet/data/node';
import { errorText } from '@edet/tensor';

import { TrainError } from '../errors.js';
import { processAlive } from './process-alive.js';

/** The lock file a run holds in its folder while it trains. */
export const LOCK_FILE = 'train.lock';

/** What the lock file holds. */
interface LockOwner {
  pid: number;
  host: string;
  since: string;
}

/** A held lock; `release` removes the file (once; later calls do nothing). */
export interface RunLock {
  path: string;
  release(): void;
}

function readOwner(path: string): LockOwner | undefined {
  try {
    const owner = JSON.parse(readFileSync(path, 'utf8')) as Partial<LockOwner>;
    return typeof owner.pid === 'number' && typeof owner.host === 'string' ? { pid: owner.pid, host: owner.host, since: String(owner.since) } : undefined;
  } catch {
    return undefined;
  }
}

/** Creates the lock file only if there is none (O_EXCL): false when another process holds it. */
function tryCreate(path: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new TrainError(`cannot create the lock file ${path} (${errorText(error)})`);
  }
  try {
    writeSync(fd, `${JSON.stringify({ pid: process.pid, host: hostname(), since: new Date().toISOString() } satisfies LockOwner)}\n`);
  } finally {
    closeSync(fd);
  }
  return true;
}

/**
 * Takes the run folder `folder` for this process: creates `train.lock` (pid, host, start time) with O_EXCL, so
 * that two runs never write into one folder. A lock left by a process of this host that is gone (a `kill -9`)
 * is taken over, and `notice` says so. The lock is released by `release()` and, should the process exit
 * without it, by an exit hook. `show` writes paths in messages (default: relative to the working folder when shorter).
 * @throws TrainError when another live run (or a run on another host) holds the folder, naming it and what to do
 */
export function acquireRunLock(folder: string, notice: (line: string) => void = () => undefined, show: (path: string) => string = displayPath): RunLock {
  const path = join(folder, LOCK_FILE);
  for (let attempt = 0; !tryCreate(path); attempt++) {
    const owner = readOwner(path);
    const stale = owner !== undefined && owner.host === hostname() && !processAlive(owner.pid);
    if (!stale || attempt > 0) {
      const who = owner ? `process ${owner.pid} on ${owner.host}, since ${owner.since}` : `an unreadable ${LOCK_FILE}`;
      throw new TrainError(
        `${show(folder)} is in use by another training run (${who}); wait for it to end or choose another --out ` +
          `(if no run uses the folder, delete ${show(path)})`,
      );
    }
    rmSync(path, { force: true });
    notice(`took over the lock of process ${owner.pid}, which is no longer running (${show(path)})`);
  }
  let held = true;
  const release = () => {
    if (!held) return;
    held = false;
    process.off('exit', release);
    rmSync(path, { force: true });
  };
  process.on('exit', release);
  return { path, release };
}
