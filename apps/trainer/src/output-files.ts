import { lstatSync, statSync } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

import { CliError, oneLineMessage } from './errors.js';

/**
 * The files a command reads, by identity (device and inode, so another name, a hard link or a symlink to the
 * same file counts as the same file). Outputs are checked against it, so that no command writes over its input.
 */
export class InputFiles {
  private readonly identities = new Map<string, string>();

  /** @param paths every file the command reads (missing ones are skipped: they cannot be overwritten) */
  constructor(paths: Iterable<string | undefined>) {
    for (const path of paths) {
      if (path === undefined) continue;
      const identity = identityOf(path, true);
      if (identity !== undefined && !this.identities.has(identity)) this.identities.set(identity, path);
    }
  }

  /** The input that `path` itself is (not following a final symlink, which writing replaces), if any. */
  inputAt(path: string): string | undefined {
    const identity = identityOf(path, false);
    return identity === undefined ? undefined : this.identities.get(identity);
  }
}

function identityOf(path: string, followLinks: boolean): string | undefined {
  try {
    const stats = followLinks ? statSync(path) : lstatSync(path);
    return stats.isSymbolicLink() ? undefined : `${stats.dev}:${stats.ino}`;
  } catch {
    return undefined;
  }
}

/**
 * Writes a file atomically and without following links: the bytes go to a new temporary file next to it
 * (created exclusively, so an existing file or link of that name is never opened), are flushed, and the
 * temporary file is renamed over `path`. A symlink at `path` is replaced by the file, its target untouched;
 * a reader sees the old file or the whole new one, never a part. An input file at `path` is never replaced.
 * @throws CliError naming `path` when it is an input, a folder, or cannot be written (nothing is left behind)
 */
export async function writeOutputFile(path: string, bytes: Uint8Array | string, inputs?: InputFiles): Promise<void> {
  const input = inputs?.inputAt(path);
  if (input !== undefined) throw new CliError(`refusing to write ${path}: it is the input ${input}; choose another output name`);
  let existing;
  try {
    existing = lstatSync(path);
  } catch {
    existing = undefined;
  }
  if (existing?.isDirectory()) throw new CliError(`cannot write ${path}: it is a folder`);
  const temporary = join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 10)}`);
  try {
    const handle = await open(temporary, 'wx');
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    throw new CliError(`cannot write ${path} (${oneLineMessage(error)})`);
  }
}
