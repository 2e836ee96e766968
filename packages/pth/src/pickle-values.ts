// The values the pickle reader builds: plain data and containers only, never anything a pickle names.

/** A global a pickle names (`module.name`), kept as a name: never imported, never called. */
export class PickleGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
  ) {}

  get qualifiedName(): string {
    return `${this.module}.${this.name}`;
  }
}

/**
 * What a pickle builds by calling a global the reader does not interpret (`argparse.Namespace`, a module, an
 * optimizer state class): inert, it only keeps the arguments and state, so tensors inside it can be found.
 */
export class OpaqueObject {
  /** The state a BUILD opcode gave it (`__setstate__` / `__dict__`), if any. */
  state: PickleValue = null;
  /** Items appended or set on it (a list or dict subclass), if any. */
  readonly items: PickleValue[] = [];

  constructor(
    readonly callable: PickleValue,
    readonly args: PickleValue,
  ) {}
}

/** A tuple (kept apart from lists only so that messages can say which). */
export class PickleTuple {
  constructor(readonly items: PickleValue[]) {}
}

/** A storage a persistent id refers to: its element type and key; the bytes are looked up later. */
export interface StorageReference {
  readonly kind: 'storage';
  /** safetensors dtype name of the storage's elements (`F32` for `torch.FloatStorage`, ...). */
  readonly dtype: PthDtype;
  /** The storage key: a zip entry `<name>/data/<key>`, or a legacy storage id. */
  readonly key: string;
  /** Element count the persistent id declares. */
  readonly numel: number;
  /**
   * Where this storage starts inside the stored one, in elements: 0, except for the storage views of old
   * legacy files (a persistent id with `view_metadata`).
   */
  readonly elementOffset: number;
}

/** A tensor as `torch._utils._rebuild_tensor_v2` describes it: a view of a storage. */
export interface TensorReference {
  readonly kind: 'tensor';
  readonly storage: StorageReference;
  /** Offset into the storage, in elements. */
  readonly offset: number;
  readonly shape: number[];
  /** Strides in elements. */
  readonly stride: number[];
}

/** Element types of PyTorch storages, by their safetensors names. */
export type PthDtype = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

/** Bytes per element of each dtype. */
export const PTH_DTYPE_SIZES: Record<PthDtype, number> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
};

/** Any value the pickle reader builds. Dicts (`dict`, `OrderedDict`) are `Map`s; sets are `Set`s. */
export type PickleValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | PickleValue[]
  | PickleTuple
  | Map<PickleValue, PickleValue>
  | Set<PickleValue>
  | PickleGlobal
  | OpaqueObject
  | StorageReference
  | TensorReference;
