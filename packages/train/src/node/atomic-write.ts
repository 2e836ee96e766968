import { rename, rm, writeFile } from 'node:fs/promises';

/**
 * Writes a file so that readers see either the old or the new contents, never a partial one: the bytes go
 * to a temporary file in the same folder, which is then renamed over the target (atomic on POSIX and on
 * NTFS for files in the same folder).
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const temporary = `${path}.tmp-${process.pid}`;
  try {
    await writeFile(temporary, data);
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}
