import { open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Errors of platforms whose folders cannot be opened or synced (Windows): the rename is all they offer. */
const FOLDER_SYNC_UNSUPPORTED = new Set(['EISDIR', 'EPERM', 'EINVAL', 'EACCES', 'EBADF', 'ENOTSUP']);

/** The name of `path`'s temporary file while this process writes it; `removeTemporaryLeftovers` knows the pattern. */
export function temporaryPath(path: string, pid = process.pid): string {
  return `${path}.tmp-${pid}`;
}

/**
 * Flushes a folder's entries to disk, so that a rename in it survives a power cut. A no-op where folders
 * cannot be synced.
 */
export async function syncFolder(folder: string): Promise<void> {
  let handle;
  try {
    handle = await open(folder, 'r');
    await handle.sync();
  } catch (error) {
    if (!FOLDER_SYNC_UNSUPPORTED.has((error as NodeJS.ErrnoException).code ?? '')) throw error;
  } finally {
    await handle?.close();
  }
}

/**
 * Writes a file so that readers see either the old or the new contents, never a partial one, even after a
 * crash or power cut: the bytes go to a temporary file in the same folder (`<path>.tmp-<pid>`), which is
 * flushed to disk (fsync), renamed over the target (atomic on POSIX and on NTFS for files in the same
 * folder), and the folder is flushed so that the rename itself is on disk.
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const temporary = temporaryPath(path);
  try {
    const handle = await open(temporary, 'w');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
  await syncFolder(dirname(path));
}
