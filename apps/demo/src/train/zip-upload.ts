import { type Unzipped, unzip } from 'fflate';

import { TrainDataError, baseName } from './coco-upload.js';

/** The largest file the page takes out of a zip: 512 MiB (a photo is a few MB; an annotation file less). */
export const MAX_ZIPPED_FILE_BYTES = 512 * 1024 * 1024;

const isZip = (file: File) => file.name.toLowerCase().endsWith('.zip');

/** Folders and the resource forks macOS adds to the zips it makes. */
const skipped = (path: string) => path.endsWith('/') || path.startsWith('__MACOSX/') || baseName(path).startsWith('._');

/**
 * The chosen files with every `.zip` among them replaced by the files inside it (folders flattened: a file
 * keeps its last path part, as an upload does). Other files are passed through as they are.
 * @throws TrainDataError naming `zip` for a file that is not a readable zip, or holds a file over
 *   `MAX_ZIPPED_FILE_BYTES`
 */
export async function expandZips(files: readonly File[]): Promise<File[]> {
  const expanded: File[] = [];
  for (const file of files) {
    if (!isZip(file)) {
      expanded.push(file);
      continue;
    }
    const entries = await unzipFile(file);
    for (const [path, bytes] of Object.entries(entries)) {
      if (!skipped(path)) expanded.push(new File([bytes as Uint8Array<ArrayBuffer>], baseName(path)));
    }
  }
  return expanded;
}

async function unzipFile(file: File): Promise<Unzipped> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  let tooLarge: string | undefined;
  const filter = (entry: { name: string; originalSize: number }) => {
    if (skipped(entry.name)) return false;
    if (entry.originalSize > MAX_ZIPPED_FILE_BYTES) tooLarge ??= entry.name;
    return entry.originalSize <= MAX_ZIPPED_FILE_BYTES;
  };
  const entries = await new Promise<Unzipped>((resolve, reject) =>
    unzip(bytes, { filter }, (error, unzipped) =>
      error ? reject(new TrainDataError('zip', `${file.name}: not a readable zip (${error.message})`)) : resolve(unzipped),
    ),
  );
  if (tooLarge !== undefined) {
    throw new TrainDataError('zip', `${file.name}: ${tooLarge} is larger than ${MAX_ZIPPED_FILE_BYTES / 1024 / 1024} MiB uncompressed`);
  }
  return entries;
}
