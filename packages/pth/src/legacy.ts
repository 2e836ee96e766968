import { type PthArchive, storageSlice, swapByteOrder } from './archive.js';
import { PthError } from './errors.js';
import { describe, readPickle } from './pickle.js';
import { PTH_DTYPE_SIZES, type PickleValue, type StorageReference } from './pickle-values.js';
import { resolveStoragePid } from './storages.js';

/** The number `torch.save` writes first in the legacy format. */
const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;
const LEGACY_PROTOCOL = 1001;

/** Whether `bytes` start like a legacy PyTorch file: a pickle (PROTO 2) holding the magic number as LONG1. */
export function looksLikeLegacyPth(bytes: Uint8Array): boolean {
  return bytes.length >= 3 && bytes[0] === 0x80 && bytes[1] === 0x02 && bytes[2] === 0x8a;
}

/**
 * Opens PyTorch's legacy format: the magic number, the protocol version and the system info pickled in turn,
 * then the object pickle, then the list of storage keys, then each storage as an 8-byte little-endian element
 * count followed by its bytes.
 * @throws PthError when the file is truncated or malformed anywhere, a count is absurd, or a storage is short
 */
export function openLegacyPth(bytes: Uint8Array, source: string): PthArchive {
  const magic = readPickle(bytes, { source });
  if (magic.value !== LEGACY_MAGIC) throw new PthError(source, 'not a PyTorch checkpoint: the legacy magic number is missing');
  const protocol = readPickle(bytes, { source, offset: magic.end });
  if (protocol.value !== LEGACY_PROTOCOL) {
    throw new PthError(source, `legacy protocol version ${String(protocol.value)}, expected ${LEGACY_PROTOCOL}`);
  }
  const systemInfo = readPickle(bytes, { source, offset: protocol.end });
  const littleEndian = !(systemInfo.value instanceof Map && systemInfo.value.get('little_endian') === false);

  // The element type of each stored storage, from the first reference to it.
  const references = new Map<string, StorageReference>();
  const object = readPickle(bytes, {
    source,
    offset: systemInfo.end,
    persistentLoad: (pid) => {
      const reference = resolveStoragePid(pid, source, bytes.length);
      if (!references.has(reference.key)) references.set(reference.key, reference);
      return reference;
    },
  });
  const keys = readPickle(bytes, { source, offset: object.end });
  const keyList = storageKeys(keys.value, source);

  const storages = new Map<string, Uint8Array>();
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let position = keys.end;
  let storageBytes = 0;
  for (const key of keyList) {
    const reference = references.get(key);
    if (reference === undefined) throw new PthError(source, `storage '${key}' is listed but no tensor refers to it, so its element type is unknown`);
    if (bytes.length - position < 8) throw new PthError(source, `truncated: storage '${key}' has no element count (offset ${position})`);
    const count = view.getUint32(position, true) + view.getUint32(position + 4, true) * 2 ** 32;
    const length = count * PTH_DTYPE_SIZES[reference.dtype];
    position += 8;
    if (length > bytes.length - position) {
      throw new PthError(source, `truncated: storage '${key}' holds ${count} elements (${length} bytes) but only ${bytes.length - position} bytes are left at offset ${position}`);
    }
    const data = bytes.slice(position, position + length);
    if (!littleEndian) swapByteOrder(data, PTH_DTYPE_SIZES[reference.dtype]);
    storages.set(key, data);
    storageBytes += length;
    position += length;
  }

  return {
    format: 'legacy',
    root: object.value,
    storageBytes,
    storage(reference) {
      const data = storages.get(reference.key);
      if (data === undefined) throw new PthError(source, `storage '${reference.key}' is referred to but not in the file's storage list`);
      return storageSlice(data, reference, `storage '${reference.key}'`, source);
    },
  };
}

function storageKeys(value: PickleValue, source: string): string[] {
  if (!Array.isArray(value) || !value.every((key) => typeof key === 'string')) {
    throw new PthError(source, `the legacy storage key list is a ${describe(value)}, expected a list of strings`);
  }
  return value as string[];
}
