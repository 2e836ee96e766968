import { PthError } from './errors.js';
import { describe } from './pickle.js';
import { type PickleValue, PickleGlobal, PickleTuple, type PthDtype, type StorageReference } from './pickle-values.js';

// PyTorch's typed storage classes, by the name a pickle gives them, and their elements' safetensors dtypes.
const STORAGE_DTYPES: Record<string, PthDtype> = {
  DoubleStorage: 'F64',
  FloatStorage: 'F32',
  HalfStorage: 'F16',
  BFloat16Storage: 'BF16',
  LongStorage: 'I64',
  IntStorage: 'I32',
  ShortStorage: 'I16',
  CharStorage: 'I8',
  ByteStorage: 'U8',
  BoolStorage: 'BOOL',
};

/**
 * Resolves PyTorch's persistent id `('storage', torch.<Type>Storage, key, location, numel[, view_metadata])`
 * to a `StorageReference`: the storage type is read as a name (never imported), the bytes are found later by
 * key. Its `numel` is checked against `maxElements` (what the file can hold at most) so that nothing sized
 * by it can be absurd.
 * @throws PthError for any other persistent id or an unknown storage type
 */
export function resolveStoragePid(pid: PickleValue, source: string, maxElements: number): StorageReference {
  const fail = (problem: string): never => {
    throw new PthError(source, `persistent id ${problem}`);
  };
  if (!(pid instanceof PickleTuple)) return fail(`is a ${describe(pid)}, expected a ('storage', type, key, location, numel) tuple`);
  const [tag, type, key, , numel, view] = pid.items;
  if (tag !== 'storage' || pid.items.length < 5) return fail(`is not a ('storage', type, key, location, numel) tuple`);
  if (!(type instanceof PickleGlobal) || type.module !== 'torch' || !(type.name in STORAGE_DTYPES)) {
    return fail(`names storage type ${type instanceof PickleGlobal ? type.qualifiedName : describe(type ?? null)}, expected one of torch.${Object.keys(STORAGE_DTYPES).join(', torch.')}`);
  }
  if (typeof key !== 'string' && typeof key !== 'number') return fail(`has a storage key that is a ${describe(key ?? null)}, expected a string`);
  if (typeof numel !== 'number' || !Number.isSafeInteger(numel) || numel < 0 || numel > maxElements) {
    return fail(`declares ${String(numel)} elements for storage '${key}': more than the ${maxElements} the file can hold, or not a count`);
  }
  const dtype = STORAGE_DTYPES[type.name];
  if (view === undefined || view === null) return { kind: 'storage', dtype, key: String(key), numel, elementOffset: 0 };
  // Old legacy files: ('storage', type, root_key, location, root_size, (view_key, offset, view_size)).
  const [, offset, size] = view instanceof PickleTuple ? view.items : [];
  if (!isCount(offset) || !isCount(size) || offset + size > numel) {
    return fail(`has view metadata that is not (key, offset, size) within the ${numel} elements of storage '${key}'`);
  }
  return { kind: 'storage', dtype, key: String(key), numel: size, elementOffset: offset };
}

function isCount(value: PickleValue | undefined): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}
