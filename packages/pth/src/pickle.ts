import { PthError } from './errors.js';
import {
  OpaqueObject,
  type PickleValue,
  PickleGlobal,
  PickleTuple,
  type StorageReference,
  type TensorReference,
} from './pickle-values.js';

/** Options of `readPickle`. */
export interface ReadPickleOptions {
  /** Names the file in errors. */
  source: string;
  /** Resolves a persistent id (BINPERSID): PyTorch's storages. Without it a persistent id is an error. */
  persistentLoad?: (pid: PickleValue) => PickleValue;
  /** Where the pickle starts in `bytes` (default 0). */
  offset?: number;
}

/** The value a pickle builds and the offset just past its STOP opcode. */
export interface PickleResult {
  value: PickleValue;
  end: number;
}

/** More MARKs open at once than any checkpoint needs: past this, the file is taken as hostile. */
export const MAX_PICKLE_NESTING = 1000;

const OrderedDictNames = new Set(['collections.OrderedDict', 'builtins.dict', '__builtin__.dict']);
const SetNames = new Set(['builtins.set', 'builtins.frozenset', '__builtin__.set', '__builtin__.frozenset']);
const TensorRebuilders = new Set(['torch._utils._rebuild_tensor_v2', 'torch._utils._rebuild_tensor']);
const ParameterRebuilders = new Set(['torch._utils._rebuild_parameter', 'torch._utils._rebuild_parameter_with_state']);

/**
 * Reads one pickle (protocols 2 to 5, the opcodes PyTorch writes, with its memo) into plain values.
 * Written by hand and deliberately limited: it never imports or calls what a pickle names. Dicts and
 * `OrderedDict`s become `Map`s, lists and tuples arrays / `PickleTuple`s, sets `Set`s;
 * `torch._utils._rebuild_tensor_v2` becomes a `TensorReference` and `_rebuild_parameter` its tensor, both
 * interpreted by name; any other global (an `argparse.Namespace`, say) becomes an inert `OpaqueObject`
 * that keeps its arguments and state so that tensors inside it can still be found.
 *
 * @throws PthError when the pickle is truncated, malformed, uses an opcode outside that set, or nests
 *   deeper than `MAX_PICKLE_NESTING`
 */
export function readPickle(bytes: Uint8Array, options: ReadPickleOptions): PickleResult {
  return new PickleReader(bytes, options).run();
}

class PickleReader {
  private position: number;
  private stack: PickleValue[] = [];
  private readonly marks: PickleValue[][] = [];
  private readonly memo = new Map<number, PickleValue>();
  private readonly view: DataView;
  private readonly text = new TextDecoder('utf-8');

  constructor(
    private readonly bytes: Uint8Array,
    private readonly options: ReadPickleOptions,
  ) {
    this.position = options.offset ?? 0;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  run(): PickleResult {
    for (;;) {
      const at = this.position;
      const opcode = this.u8();
      if (opcode === 0x2e /* STOP */) {
        const value = this.pop('STOP');
        return { value, end: this.position };
      }
      this.step(opcode, at);
    }
  }

  private fail(problem: string): never {
    throw new PthError(this.options.source, problem);
  }

  // ---- bounded reads: every length is checked against the bytes left before anything is allocated ----

  private need(count: number, what: string): void {
    if (!Number.isSafeInteger(count) || count < 0 || count > this.bytes.length - this.position) {
      this.fail(
        `truncated pickle: ${what} needs ${count} bytes at offset ${this.position}, ` +
          `only ${Math.max(0, this.bytes.length - this.position)} left`,
      );
    }
  }

  private u8(): number {
    this.need(1, 'an opcode or byte');
    return this.bytes[this.position++];
  }

  private u16(): number {
    this.need(2, 'a 2-byte integer');
    const value = this.view.getUint16(this.position, true);
    this.position += 2;
    return value;
  }

  private u32(): number {
    this.need(4, 'a 4-byte integer');
    const value = this.view.getUint32(this.position, true);
    this.position += 4;
    return value;
  }

  private i32(): number {
    this.need(4, 'a 4-byte integer');
    const value = this.view.getInt32(this.position, true);
    this.position += 4;
    return value;
  }

  private u64(): number {
    this.need(8, 'an 8-byte length');
    const low = this.view.getUint32(this.position, true);
    const high = this.view.getUint32(this.position + 4, true);
    this.position += 8;
    // Anything past 2^53 cannot fit in the file anyway: `need` rejects it as truncated.
    return high >= 0x200000 ? Number.MAX_VALUE : high * 2 ** 32 + low;
  }

  private take(count: number, what: string): Uint8Array {
    this.need(count, what);
    const slice = this.bytes.subarray(this.position, this.position + count);
    this.position += count;
    return slice;
  }

  private line(what: string): string {
    const end = this.bytes.indexOf(0x0a, this.position);
    if (end < 0) this.fail(`truncated pickle: ${what} has no end of line (offset ${this.position})`);
    const value = this.text.decode(this.bytes.subarray(this.position, end));
    this.position = end + 1;
    return value;
  }

  // ---- the stack ----

  private push(value: PickleValue): void {
    this.stack.push(value);
  }

  private pop(opcode: string): PickleValue {
    if (this.stack.length === 0) this.fail(`malformed pickle: ${opcode} on an empty stack (offset ${this.position})`);
    return this.stack.pop() as PickleValue;
  }

  private top(opcode: string): PickleValue {
    if (this.stack.length === 0) this.fail(`malformed pickle: ${opcode} on an empty stack (offset ${this.position})`);
    return this.stack[this.stack.length - 1];
  }

  private mark(): void {
    if (this.marks.length >= MAX_PICKLE_NESTING) {
      this.fail(`pickle nests deeper than ${MAX_PICKLE_NESTING} levels (offset ${this.position})`);
    }
    this.marks.push(this.stack);
    this.stack = [];
  }

  /** Pops everything pushed since the last MARK. */
  private popMark(opcode: string): PickleValue[] {
    const items = this.stack;
    const outer = this.marks.pop();
    if (outer === undefined) this.fail(`malformed pickle: ${opcode} without a MARK (offset ${this.position})`);
    this.stack = outer;
    return items;
  }

  private memoGet(index: number): PickleValue {
    if (!this.memo.has(index)) this.fail(`malformed pickle: memo entry ${index} read before it was stored`);
    return this.memo.get(index) as PickleValue;
  }

  private memoPut(index: number, opcode: string): void {
    this.memo.set(index, this.top(opcode));
  }

  // ---- opcodes ----

  private step(opcode: number, at: number): void {
    switch (opcode) {
      case 0x80 /* PROTO */: {
        const protocol = this.u8();
        if (protocol > 5) this.fail(`pickle protocol ${protocol} is not supported (2 to 5 are)`);
        return;
      }
      case 0x95 /* FRAME */:
        this.u64();
        return;
      case 0x28 /* MARK */:
        return this.mark();
      case 0x7d /* EMPTY_DICT */:
        return this.push(new Map());
      case 0x5d /* EMPTY_LIST */:
        return this.push([]);
      case 0x29 /* EMPTY_TUPLE */:
        return this.push(new PickleTuple([]));
      case 0x8f /* EMPTY_SET */:
        return this.push(new Set());
      case 0x4e /* NONE */:
        return this.push(null);
      case 0x88 /* NEWTRUE */:
        return this.push(true);
      case 0x89 /* NEWFALSE */:
        return this.push(false);
      case 0x4a /* BININT */:
        return this.push(this.i32());
      case 0x4b /* BININT1 */:
        return this.push(this.u8());
      case 0x4d /* BININT2 */:
        return this.push(this.u16());
      case 0x8a /* LONG1 */:
        return this.push(this.long(this.u8()));
      case 0x8b /* LONG4 */:
        return this.push(this.long(this.u32()));
      case 0x47 /* BINFLOAT */: {
        this.need(8, 'a float');
        const value = this.view.getFloat64(this.position, false);
        this.position += 8;
        return this.push(value);
      }
      case 0x58 /* BINUNICODE */:
        return this.push(this.text.decode(this.take(this.u32(), 'a string')));
      case 0x8c /* SHORT_BINUNICODE */:
        return this.push(this.text.decode(this.take(this.u8(), 'a string')));
      case 0x8d /* BINUNICODE8 */:
        return this.push(this.text.decode(this.take(this.u64(), 'a string')));
      case 0x54 /* BINSTRING */:
        return this.push(this.text.decode(this.take(this.u32(), 'a string')));
      case 0x55 /* SHORT_BINSTRING */:
        return this.push(this.text.decode(this.take(this.u8(), 'a string')));
      case 0x42 /* BINBYTES */:
        return this.push(this.take(this.u32(), 'bytes').slice());
      case 0x43 /* SHORT_BINBYTES */:
        return this.push(this.take(this.u8(), 'bytes').slice());
      case 0x8e /* BINBYTES8 */:
      case 0x96 /* BYTEARRAY8 */:
        return this.push(this.take(this.u64(), 'bytes').slice());
      case 0x74 /* TUPLE */:
        return this.push(new PickleTuple(this.popMark('TUPLE')));
      case 0x85 /* TUPLE1 */:
        return this.push(new PickleTuple([this.pop('TUPLE1')]));
      case 0x86 /* TUPLE2 */: {
        const second = this.pop('TUPLE2');
        return this.push(new PickleTuple([this.pop('TUPLE2'), second]));
      }
      case 0x87 /* TUPLE3 */: {
        const third = this.pop('TUPLE3');
        const second = this.pop('TUPLE3');
        return this.push(new PickleTuple([this.pop('TUPLE3'), second, third]));
      }
      case 0x6c /* LIST */:
        return this.push(this.popMark('LIST'));
      case 0x64 /* DICT */: {
        const dict = new Map<PickleValue, PickleValue>();
        this.setItems(dict, this.popMark('DICT'), 'DICT');
        return this.push(dict);
      }
      case 0x91 /* FROZENSET */:
        return this.push(new Set(this.popMark('FROZENSET')));
      case 0x61 /* APPEND */: {
        const value = this.pop('APPEND');
        return this.append(this.top('APPEND'), [value], 'APPEND');
      }
      case 0x65 /* APPENDS */: {
        const values = this.popMark('APPENDS');
        return this.append(this.top('APPENDS'), values, 'APPENDS');
      }
      case 0x73 /* SETITEM */: {
        const value = this.pop('SETITEM');
        const key = this.pop('SETITEM');
        return this.setItems(this.top('SETITEM'), [key, value], 'SETITEM');
      }
      case 0x75 /* SETITEMS */: {
        const items = this.popMark('SETITEMS');
        return this.setItems(this.top('SETITEMS'), items, 'SETITEMS');
      }
      case 0x90 /* ADDITEMS */: {
        const items = this.popMark('ADDITEMS');
        const target = this.top('ADDITEMS');
        if (!(target instanceof Set)) this.fail(`malformed pickle: ADDITEMS on a ${describe(target)} (offset ${at})`);
        for (const item of items) target.add(item);
        return;
      }
      case 0x30 /* POP */:
        this.pop('POP');
        return;
      case 0x31 /* POP_MARK */:
        this.popMark('POP_MARK');
        return;
      case 0x32 /* DUP */:
        return this.push(this.top('DUP'));
      case 0x71 /* BINPUT */:
        return this.memoPut(this.u8(), 'BINPUT');
      case 0x72 /* LONG_BINPUT */:
        return this.memoPut(this.u32(), 'LONG_BINPUT');
      case 0x94 /* MEMOIZE */:
        return this.memoPut(this.memo.size, 'MEMOIZE');
      case 0x68 /* BINGET */:
        return this.push(this.memoGet(this.u8()));
      case 0x6a /* LONG_BINGET */:
        return this.push(this.memoGet(this.u32()));
      case 0x63 /* GLOBAL */: {
        const module = this.line('a GLOBAL module');
        return this.push(new PickleGlobal(module, this.line('a GLOBAL name')));
      }
      case 0x93 /* STACK_GLOBAL */: {
        const name = this.pop('STACK_GLOBAL');
        const module = this.pop('STACK_GLOBAL');
        if (typeof module !== 'string' || typeof name !== 'string') {
          this.fail(`malformed pickle: STACK_GLOBAL needs two strings (offset ${at})`);
        }
        return this.push(new PickleGlobal(module, name));
      }
      case 0x52 /* REDUCE */: {
        const args = this.pop('REDUCE');
        return this.push(this.call(this.pop('REDUCE'), args, at));
      }
      case 0x81 /* NEWOBJ */: {
        const args = this.pop('NEWOBJ');
        return this.push(this.call(this.pop('NEWOBJ'), args, at));
      }
      case 0x92 /* NEWOBJ_EX */: {
        this.pop('NEWOBJ_EX'); // keyword arguments: kept out, nothing is called
        const args = this.pop('NEWOBJ_EX');
        return this.push(this.call(this.pop('NEWOBJ_EX'), args, at));
      }
      case 0x62 /* BUILD */: {
        const state = this.pop('BUILD');
        const target = this.top('BUILD');
        // A dict's BUILD state is instance attributes (an OrderedDict's `_metadata`), not items: dropped.
        if (target instanceof OpaqueObject) target.state = state;
        return;
      }
      case 0x51 /* BINPERSID */: {
        const pid = this.pop('BINPERSID');
        if (this.options.persistentLoad === undefined) this.fail(`malformed pickle: a persistent id where none is expected (offset ${at})`);
        return this.push(this.options.persistentLoad(pid));
      }
      default:
        this.fail(`unknown or unsupported pickle opcode 0x${opcode.toString(16).padStart(2, '0')} at offset ${at}`);
    }
  }

  /** A little-endian two's-complement integer of `length` bytes (LONG1 / LONG4). */
  private long(length: number): number | bigint {
    const digits = this.take(length, 'a long integer');
    if (length === 0) return 0;
    let value = 0n;
    for (let i = length - 1; i >= 0; i--) value = (value << 8n) | BigInt(digits[i]);
    if (digits[length - 1] & 0x80) value -= 1n << BigInt(8 * length);
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
  }

  private append(target: PickleValue, values: PickleValue[], opcode: string): void {
    if (Array.isArray(target)) {
      for (const value of values) target.push(value);
    } else if (target instanceof OpaqueObject) {
      for (const value of values) target.items.push(value);
    } else {
      this.fail(`malformed pickle: ${opcode} on a ${describe(target)} (offset ${this.position})`);
    }
  }

  private setItems(target: PickleValue, items: PickleValue[], opcode: string): void {
    if (items.length % 2 !== 0) this.fail(`malformed pickle: ${opcode} with an odd number of items (offset ${this.position})`);
    for (let i = 0; i < items.length; i += 2) {
      if (target instanceof Map) target.set(items[i], items[i + 1]);
      else if (target instanceof OpaqueObject) target.items.push(new PickleTuple([items[i], items[i + 1]]));
      else this.fail(`malformed pickle: ${opcode} on a ${describe(target)} (offset ${this.position})`);
    }
  }

  /** REDUCE / NEWOBJ: interprets the few globals PyTorch needs by name; anything else stays inert. */
  private call(callable: PickleValue, args: PickleValue, at: number): PickleValue {
    const name = callable instanceof PickleGlobal ? callable.qualifiedName : undefined;
    const items = args instanceof PickleTuple ? args.items : undefined;
    if (name === undefined || items === undefined) return new OpaqueObject(callable, args);
    if (OrderedDictNames.has(name)) {
      const dict = new Map<PickleValue, PickleValue>();
      const pairs = items[0];
      if (Array.isArray(pairs)) {
        for (const pair of pairs) {
          if (pair instanceof PickleTuple && pair.items.length === 2) dict.set(pair.items[0], pair.items[1]);
        }
      }
      return dict;
    }
    if (SetNames.has(name)) return new Set(Array.isArray(items[0]) ? items[0] : []);
    if (TensorRebuilders.has(name)) return this.tensor(items, at);
    if (ParameterRebuilders.has(name)) return items[0] ?? null;
    return new OpaqueObject(callable, args);
  }

  private tensor(items: PickleValue[], at: number): TensorReference {
    const [storage, offset, size, stride] = items;
    const bad = (what: string): never => this.fail(`malformed tensor at pickle offset ${at}: ${what}`);
    if (!isStorage(storage)) bad(`expected a storage, got a ${describe(storage ?? null)}`);
    if (!isCount(offset)) bad(`expected a storage offset (a non-negative integer), got ${String(offset)}`);
    const shape = integers(size) ?? bad('expected its size as a tuple of non-negative integers');
    const strides = integers(stride) ?? bad('expected its stride as a tuple of non-negative integers');
    if (shape.length !== strides.length) bad(`size [${shape}] and stride [${strides}] differ in length`);
    return { kind: 'tensor', storage: storage as StorageReference, offset: offset as number, shape, stride: strides };
  }
}

function isCount(value: PickleValue | undefined): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function integers(value: PickleValue | undefined): number[] | undefined {
  if (!(value instanceof PickleTuple) || !value.items.every(isCount)) return undefined;
  return value.items as number[];
}

/** Whether a value is a `StorageReference` that a persistent-id resolver made. */
export function isStorage(value: PickleValue | undefined): value is StorageReference {
  return typeof value === 'object' && value !== null && 'kind' in value && value.kind === 'storage';
}

/** Whether a value is a `TensorReference`. */
export function isTensor(value: PickleValue | undefined): value is TensorReference {
  return typeof value === 'object' && value !== null && 'kind' in value && value.kind === 'tensor';
}

/** A value's kind, for messages. */
export function describe(value: PickleValue): string {
  if (value === null) return 'None';
  if (Array.isArray(value)) return 'list';
  if (value instanceof Uint8Array) return 'bytes';
  if (value instanceof Map) return 'dict';
  if (value instanceof Set) return 'set';
  if (value instanceof PickleTuple) return 'tuple';
  if (value instanceof PickleGlobal) return `global ${value.qualifiedName}`;
  if (value instanceof OpaqueObject) return 'object';
  if (typeof value === 'object') return value.kind;
  return typeof value;
}
