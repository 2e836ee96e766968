import { PthError } from './errors.js';
import { PTH_DTYPE_SIZES, type PickleValue, type StorageReference } from './pickle-values.js';

/** A checkpoint opened from either of PyTorch's formats: the object pickle, and its storages' bytes. */
export interface PthArchive {
  /** `'zip'` (PyTorch >= 1.6) or `'legacy'` (`_use_new_zipfile_serialization=False`, 2020 release files). */
  format: 'zip' | 'legacy';
  /** The object `torch.save` was given, with storages as `StorageReference`s. */
  root: PickleValue;
  /**
   * The bytes of a storage (little-endian, at least `numel` elements long), checked against its reference.
   * @throws PthError when the storage is missing or shorter than its declared element count
   */
  storage(reference: StorageReference): Uint8Array;
  /** Total bytes of every storage: no tensor may need more (a bound on allocation). */
  storageBytes: number;
}

/** Reverses the bytes of each `size`-byte element in place (a big-endian storage to little-endian). */
export function swapByteOrder(bytes: Uint8Array, size: number): void {
  if (size === 1) return;
  for (let start = 0; start + size <= bytes.length; start += size) bytes.subarray(start, start + size).reverse();
}

/**
 * The part of a stored storage's bytes that a reference covers (all of it, or a legacy storage view).
 * @param what names the storage in the error (`zip entry 'archive/data/0'`, `storage '1234'`)
 * @throws PthError when the stored bytes are shorter than the reference declares
 */
export function storageSlice(data: Uint8Array, reference: StorageReference, what: string, source: string): Uint8Array {
  const size = PTH_DTYPE_SIZES[reference.dtype];
  const end = (reference.elementOffset + reference.numel) * size;
  if (data.length < end) {
    throw new PthError(source, `${what} has ${data.length} bytes, shorter than the ${end} its tensors declare (storage shorter than its tensors)`);
  }
  return data.subarray(reference.elementOffset * size, end);
}
