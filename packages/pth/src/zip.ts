import { unzipSync } from 'fflate';

import { type PthArchive, storageSlice, swapByteOrder } from './archive.js';
import { PthError } from './errors.js';
import { readPickle } from './pickle.js';
import { PTH_DTYPE_SIZES } from './pickle-values.js';
import { resolveStoragePid } from './storages.js';

/** Deflate cannot expand beyond about 1032:1, so a larger declared size is a lie, refused before allocating. */
const MAX_DEFLATE_RATIO = 1032;

/** Whether `bytes` start like a zip archive (a local file header). */
export function looksLikeZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;
}

/**
 * Opens PyTorch's zip format: `<name>/data.pkl` (the object pickle), `<name>/data/<key>` (one raw storage per
 * key), `<name>/version` and, since PyTorch 2.1, `<name>/byteorder`. PyTorch stores entries uncompressed;
 * deflated ones are read too.
 * @throws PthError when the archive is malformed or truncated, an entry is missing, or a storage is short
 */
export function openZipPth(bytes: Uint8Array, source: string): PthArchive {
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(bytes, {
      filter: (file) => {
        if (file.originalSize > Math.max(file.size, 1) * MAX_DEFLATE_RATIO || file.size > bytes.length) {
          throw new PthError(source, `zip entry '${file.name}' declares ${file.originalSize} bytes, more than a ${bytes.length}-byte file can hold`);
        }
        return true;
      },
    });
  } catch (error) {
    if (error instanceof PthError) throw error;
    throw new PthError(source, `not a readable zip archive (truncated or corrupt): ${(error as Error).message}`);
  }
  const pickleName = Object.keys(entries).find((name) => /^[^/]*\/?data\.pkl$/.test(name));
  if (pickleName === undefined) {
    throw new PthError(source, "zip entry '<name>/data.pkl' missing: a zip archive, but not a PyTorch checkpoint");
  }
  const prefix = pickleName.slice(0, -'data.pkl'.length);
  const byteOrder = entries[`${prefix}byteorder`];
  const littleEndian = byteOrder === undefined || new TextDecoder().decode(byteOrder).trim() !== 'big';

  let storageBytes = 0;
  for (const [name, data] of Object.entries(entries)) if (name.startsWith(`${prefix}data/`)) storageBytes += data.length;
  // No storage holds more elements than all storages (or the file) have bytes; checked before anything is sized by it.
  const maxElements = Math.max(storageBytes, bytes.length);
  const { value: root } = readPickle(entries[pickleName], {
    source,
    persistentLoad: (pid) => resolveStoragePid(pid, source, maxElements),
  });

  const swapped = new Set<string>();
  return {
    format: 'zip',
    root,
    storageBytes,
    storage(reference) {
      const name = `${prefix}data/${reference.key}`;
      const data = entries[name];
      if (data === undefined) throw new PthError(source, `zip entry '${name}' missing (the storage of a tensor)`);
      if (!littleEndian && !swapped.has(name)) {
        swapByteOrder(data, PTH_DTYPE_SIZES[reference.dtype]);
        swapped.add(name);
      }
      return storageSlice(data, reference, `zip entry '${name}'`, source);
    },
  };
}
