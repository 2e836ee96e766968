// Writes small pickles by hand, opcode by opcode, so tests can build PyTorch checkpoints (good and bad)
// without PyTorch: the same opcodes `torch.save` emits at protocol 2.
import { zipSync } from 'fflate';

type Part = number | string | Uint8Array;

/** Concatenates opcodes (numbers are single bytes, strings are Latin-1 bytes) into one array. */
export function bytesOf(...parts: Part[]): Uint8Array {
  const chunks = parts.map((part) =>
    typeof part === 'number' ? Uint8Array.of(part) : typeof part === 'string' ? Uint8Array.from(part, (c) => c.charCodeAt(0)) : part,
  );
  const out = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

export const op = {
  proto: bytesOf(0x80, 2),
  stop: bytesOf(0x2e),
  mark: bytesOf(0x28),
  tuple: bytesOf(0x74),
  tuple2: bytesOf(0x86),
  emptyTuple: bytesOf(0x29),
  emptyList: bytesOf(0x5d),
  emptyDict: bytesOf(0x7d),
  append: bytesOf(0x61),
  setItem: bytesOf(0x73),
  setItems: bytesOf(0x75),
  reduce: bytesOf(0x52),
  build: bytesOf(0x62),
  persistentId: bytesOf(0x51),
  newFalse: bytesOf(0x89),
  none: bytesOf(0x4e),
  global: (module: string, name: string) => bytesOf(0x63, `${module}\n${name}\n`),
  str: (value: string) => {
    const utf8 = new TextEncoder().encode(value);
    const length = new Uint8Array(4);
    new DataView(length.buffer).setUint32(0, utf8.length, true);
    return bytesOf(0x58, length, utf8);
  },
  int: (value: number) => {
    const bytes = new Uint8Array(4);
    new DataView(bytes.buffer).setInt32(0, value, true);
    return bytesOf(0x4a, bytes);
  },
  long1: (value: bigint, length: number) => {
    const bytes = new Uint8Array(length);
    for (let i = 0; i < length; i++) bytes[i] = Number((value >> BigInt(8 * i)) & 0xffn);
    return bytesOf(0x8a, length, bytes);
  },
  put: (index: number) => bytesOf(0x71, index),
  get: (index: number) => bytesOf(0x68, index),
};

/** A tuple of ints, as a pickle (MARK ... TUPLE). */
export function intTuple(values: readonly number[]): Uint8Array {
  return bytesOf(op.mark, ...values.map(op.int), op.tuple);
}

/** One tensor as `torch.save` pickles it: `_rebuild_tensor_v2(persistent storage, offset, size, stride, ...)`. */
export interface TinyTensor {
  name: string;
  storageType?: string;
  key: string;
  /** Element count declared in the persistent id. */
  numel: number;
  offset?: number;
  shape: number[];
  stride?: number[];
}

function rowMajorStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length).fill(1);
  for (let d = shape.length - 2; d >= 0; d--) strides[d] = strides[d + 1] * shape[d + 1];
  return strides;
}

/** The pickle of one tensor (leaves it on the stack). */
export function tensorPickle(tensor: TinyTensor, extraPidItems: Uint8Array[] = []): Uint8Array {
  const pid = bytesOf(
    op.mark,
    op.str('storage'),
    op.global('torch', tensor.storageType ?? 'FloatStorage'),
    op.str(tensor.key),
    op.str('cpu'),
    op.int(tensor.numel),
    ...extraPidItems,
    op.tuple,
    op.persistentId,
  );
  return bytesOf(
    op.global('torch._utils', '_rebuild_tensor_v2'),
    op.mark,
    pid,
    op.int(tensor.offset ?? 0),
    intTuple(tensor.shape),
    intTuple(tensor.stride ?? rowMajorStrides(tensor.shape)),
    op.newFalse,
    op.global('collections', 'OrderedDict'),
    op.emptyTuple,
    op.reduce,
    op.tuple,
    op.reduce,
  );
}

/** The pickle of an OrderedDict of tensors (a state dict), not yet STOPped. */
export function stateDictPickle(tensors: readonly TinyTensor[], extraPidItems: Uint8Array[] = []): Uint8Array {
  return bytesOf(
    op.global('collections', 'OrderedDict'),
    op.emptyTuple,
    op.reduce,
    op.mark,
    ...tensors.flatMap((tensor) => [op.str(tensor.name), tensorPickle(tensor, extraPidItems)]),
    op.setItems,
  );
}

/** A whole pickle: PROTO 2, the body, STOP. */
export function pickle(body: Uint8Array): Uint8Array {
  return bytesOf(op.proto, body, op.stop);
}

/** A zip-format checkpoint: `archive/data.pkl`, `archive/data/<key>`, `archive/version`. */
export function zipPth(dataPkl: Uint8Array, storages: Record<string, Uint8Array>, options: { deflate?: boolean } = {}): Uint8Array {
  const files: Record<string, Uint8Array> = { 'archive/data.pkl': dataPkl };
  for (const [key, data] of Object.entries(storages)) files[`archive/data/${key}`] = data;
  files['archive/version'] = bytesOf('3\n');
  return zipSync(files, { level: options.deflate ? 6 : 0 });
}

/** A legacy-format checkpoint: magic, protocol, system info, object, storage keys, storages with counts. */
export function legacyPth(object: Uint8Array, storages: { key: string; elementSize: number; data: Uint8Array; count?: number }[]): Uint8Array {
  const systemInfo = pickle(bytesOf(op.emptyDict, op.str('little_endian'), 0x88, op.setItem));
  const keys = pickle(bytesOf(op.emptyList, op.mark, ...storages.map((s) => op.str(s.key)), 0x65));
  const parts: Uint8Array[] = [
    pickle(op.long1(0x1950a86a20f9469cfc6cn, 10)),
    pickle(op.int(1001)),
    systemInfo,
    object,
    keys,
  ];
  for (const storage of storages) {
    const count = new Uint8Array(8);
    const view = new DataView(count.buffer);
    const n = storage.count ?? storage.data.length / storage.elementSize;
    view.setUint32(0, n % 2 ** 32, true);
    view.setUint32(4, Math.floor(n / 2 ** 32), true);
    parts.push(count, storage.data);
  }
  return bytesOf(...parts);
}

/** Little-endian float32 bytes of some values. */
export function float32Bytes(values: readonly number[]): Uint8Array {
  return new Uint8Array(Float32Array.from(values).buffer);
}
