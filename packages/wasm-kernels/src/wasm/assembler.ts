/**
 * A minimal WebAssembly assembler: just enough of the binary format (types, one imported memory, functions,
 * exports, i32 / f32 / v128 instructions and structured control flow) to write the SIMD loops of the
 * training kernels in TypeScript and instantiate them at run time, with no build step and no dependency.
 *
 * Code is written as expression trees (`Expr`): a function that emits the instructions computing one value
 * onto the stack. Plain numbers stand for `i32.const`. Statements (`set`, `store`, loops) emit directly.
 */

/** Value types (their binary codes). */
export const I32 = 0x7f as const;
export const F32 = 0x7d as const;
export const V128 = 0x7b as const;
export type ValType = typeof I32 | typeof F32 | typeof V128;

/** A local variable or parameter of the function being built. */
export interface Local {
  readonly index: number;
  readonly type: ValType;
}

/** Emits the code of one value onto the stack; a number is an i32 constant. */
export type Expr = ((f: FunctionBuilder) => void) | number;

/** Unsigned LEB128. */
export function uleb(value: number): number[] {
  const out: number[] = [];
  let v = value >>> 0;
  do {
    let byte = v & 0x7f;
    v >>>= 7;
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
  return out;
}

/** Signed LEB128 (32-bit). */
export function sleb(value: number): number[] {
  const out: number[] = [];
  let v = value | 0;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    const done = (v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

function utf8(text: string): number[] {
  const bytes = Array.from(new TextEncoder().encode(text));
  return [...uleb(bytes.length), ...bytes];
}

/** A vector (length-prefixed) of already-encoded items. */
function vec(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

// 0xfd-prefixed SIMD opcodes used by the kernels.
const SIMD = {
  load: 0x00,
  load32Splat: 0x09,
  store: 0x0b,
  const: 0x0c,
  shuffle: 0x0d,
  i32x4Splat: 0x11,
  f32x4Splat: 0x13,
  f32x4ExtractLane: 0x1f,
  f32x4Eq: 0x41,
  f32x4Ne: 0x42,
  f32x4Lt: 0x43,
  f32x4Gt: 0x44,
  anyTrue: 0x53,
  and: 0x4e,
  andNot: 0x4f,
  or: 0x50,
  bitselect: 0x52,
  f32x4Floor: 0x68,
  f32x4Nearest: 0x6a,
  i32x4Shl: 0xab,
  i32x4ShrS: 0xac,
  i32x4Add: 0xae,
  i32x4Sub: 0xb1,
  f32x4Abs: 0xe0,
  f32x4Neg: 0xe1,
  f32x4Sqrt: 0xe3,
  f32x4Add: 0xe4,
  f32x4Sub: 0xe5,
  f32x4Mul: 0xe6,
  f32x4Div: 0xe7,
  f32x4Min: 0xe8,
  f32x4Max: 0xe9,
  f32x4Pmin: 0xea,
  f32x4Pmax: 0xeb,
  i32x4TruncSatF32x4S: 0xf8,
  f32x4ConvertI32x4S: 0xfa,
  f32x4RelaxedMadd: 0x105,
} as const;

/** Builds the body of one function. */
export class FunctionBuilder {
  readonly code: number[] = [];
  private readonly localTypes: ValType[] = [];
  private readonly paramLocals: Local[];

  constructor(
    readonly name: string,
    readonly params: readonly ValType[],
    readonly results: readonly ValType[] = [],
  ) {
    this.paramLocals = params.map((type, index) => ({ index, type }));
  }

  /** The parameters, in order. */
  get args(): Local[] {
    return this.paramLocals;
  }

  /** Declares a new local. */
  local(type: ValType = I32): Local {
    this.localTypes.push(type);
    return { index: this.params.length + this.localTypes.length - 1, type };
  }

  /** Emits raw bytes. */
  emit(...bytes: number[]): this {
    this.code.push(...bytes);
    return this;
  }

  /** Emits an expression. */
  expr(e: Expr | Local): this {
    if (typeof e === 'number') this.emit(0x41, ...sleb(e));
    else if (typeof e === 'object') this.emit(0x20, ...uleb(e.index));
    else e(this);
    return this;
  }

  private simd(op: number, ...immediates: number[]): this {
    return this.emit(0xfd, ...uleb(op), ...immediates);
  }

  // ---- statements ----

  /** `local = value`. */
  set(local: Local, value: Expr | Local): this {
    return this.expr(value).emit(0x21, ...uleb(local.index));
  }

  /** 32-bit float store at byte address `addr`. */
  storeF32(addr: Expr | Local, value: Expr | Local, offset = 0): this {
    return this.expr(addr).expr(value).emit(0x38, 2, ...uleb(offset));
  }

  /** 32-bit integer store at byte address `addr`. */
  storeI32(addr: Expr | Local, value: Expr | Local, offset = 0): this {
    return this.expr(addr).expr(value).emit(0x36, 2, ...uleb(offset));
  }

  /** 128-bit store at byte address `addr`. */
  storeV128(addr: Expr | Local, value: Expr | Local, offset = 0): this {
    this.expr(addr).expr(value);
    return this.simd(SIMD.store, 4, ...uleb(offset));
  }

  /** `if (cond) then() [else otherwise()]`. */
  if(cond: Expr | Local, then: () => void, otherwise?: () => void): this {
    this.expr(cond).emit(0x04, 0x40);
    then();
    if (otherwise) {
      this.emit(0x05);
      otherwise();
    }
    return this.emit(0x0b);
  }

  /**
   * `for (i = start; i < end; i += step) body()` (signed compare; `end` is re-read at every test, so pass a
   * local or a constant). The body runs zero times when `start >= end`.
   */
  for(i: Local, start: Expr | Local, end: Expr | Local, step: Expr | Local, body: () => void): this {
    this.set(i, start);
    this.emit(0x02, 0x40); // block: the exit target
    this.expr(i).expr(end).emit(0x4e, 0x0d, 0); // i >= end: br_if 0 leaves the block
    this.emit(0x03, 0x40); // loop: the continue target
    body();
    this.set(i, add(i, step));
    this.expr(i).expr(end).emit(0x48, 0x0d, 0); // i < end: br_if 0 jumps back to the loop start
    return this.emit(0x0b, 0x0b); // end loop, end block
  }

  /**
   * A loop that runs until one of `exits` holds: each turn tests them in order (each an i32, non-zero to
   * leave), then runs `body`.
   */
  until(exits: readonly (Expr | Local)[], body: () => void): this {
    this.emit(0x02, 0x40, 0x03, 0x40); // block: the exit target; loop: the continue target
    for (const exit of exits) this.expr(exit).emit(0x0d, 1); // br_if 1 leaves the block
    body();
    return this.emit(0x0c, 0, 0x0b, 0x0b); // br 0 to the loop start; end loop, end block
  }

  /** The encoded function body (locals and code). */
  body(): number[] {
    const groups: number[][] = [];
    let i = 0;
    while (i < this.localTypes.length) {
      let j = i;
      while (j < this.localTypes.length && this.localTypes[j] === this.localTypes[i]) j++;
      groups.push([...uleb(j - i), this.localTypes[i]]);
      i = j;
    }
    const bytes = [...vec(groups), ...this.code, 0x0b];
    return [...uleb(bytes.length), ...bytes];
  }
}

// ---- expressions ----

/** Reads a local. */
export function get(local: Local): Expr {
  return (f) => f.emit(0x20, ...uleb(local.index));
}

function asExpr(e: Expr | Local): Expr {
  return typeof e === 'object' ? get(e) : e;
}

function binary(opcode: number) {
  return (a: Expr | Local, b: Expr | Local): Expr =>
    (f) => f.expr(asExpr(a)).expr(asExpr(b)).emit(opcode);
}

function unary(...opcode: number[]) {
  return (a: Expr | Local): Expr =>
    (f) => f.expr(asExpr(a)).emit(...opcode);
}

function simdBinary(op: number) {
  return (a: Expr | Local, b: Expr | Local): Expr =>
    (f) => f.expr(asExpr(a)).expr(asExpr(b)).emit(0xfd, ...uleb(op));
}

function simdUnary(op: number) {
  return (a: Expr | Local): Expr =>
    (f) => f.expr(asExpr(a)).emit(0xfd, ...uleb(op));
}

/** i32 arithmetic and comparisons (comparisons are signed and give 0 or 1). */
export const add = binary(0x6a);
export const sub = binary(0x6b);
export const mul = binary(0x6c);
export const divS = binary(0x6d);
export const and = binary(0x71);
export const shl = binary(0x74);
/** Arithmetic (sign-filling) shift right. */
export const shrS = binary(0x75);
export const eq = binary(0x46);
export const lt = binary(0x48);
export const ge = binary(0x4e);
export const gt = binary(0x4a);

/** `cond ? a : b` on i32 or f32 (both sides are evaluated; `cond` is an i32). */
export function select(a: Expr | Local, b: Expr | Local, cond: Expr | Local): Expr {
  return (f) => f.expr(asExpr(a)).expr(asExpr(b)).expr(asExpr(cond)).emit(0x1b);
}

/** Signed i32 max / min. */
export function max(a: Expr | Local, b: Expr | Local): Expr {
  return select(a, b, gt(a, b));
}
export function min(a: Expr | Local, b: Expr | Local): Expr {
  return select(a, b, lt(a, b));
}

/** f32 arithmetic. `fmin` / `fmax` return NaN when either side is NaN. */
export const fadd = binary(0x92);
export const fsub = binary(0x93);
export const fmul = binary(0x94);
export const fdiv = binary(0x95);
export const fmin = binary(0x96);
export const fmax = binary(0x97);
/** f32 comparisons `a == b`, `a < b`, `a > b`: an i32 0 or 1 (0 when either side is NaN). */
export const feq = binary(0x5b);
export const flt = binary(0x5d);
export const fgt = binary(0x5e);
export const fabs = unary(0x8b);
export const fneg = unary(0x8c);
export const fsqrt = unary(0x91);
/** Round to the nearest integer, ties to even. */
export const fnearest = unary(0x90);

/** Conversions: `i32.trunc_sat_f32_s` (NaN gives 0, out of range saturates), `f32.convert_i32_s`, bit casts. */
export const i32TruncSatF32 = unary(0xfc, 0x00);
export const f32ConvertI32 = unary(0xb2);
export const i32ReinterpretF32 = unary(0xbc);
export const f32ReinterpretI32 = unary(0xbe);

/** f32 load at byte address `addr`. */
export function loadF32(addr: Expr | Local, offset = 0): Expr {
  return (f) => f.expr(asExpr(addr)).emit(0x2a, 2, ...uleb(offset));
}

/** f32 constant. */
export function f32(value: number): Expr {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setFloat32(0, value, true); // wasm immediates are little-endian
  return (f) => f.emit(0x43, ...bytes);
}

/** v128 load at byte address `addr` (no alignment assumed). */
export function loadV128(addr: Expr | Local, offset = 0): Expr {
  return (f) => f.expr(asExpr(addr)).emit(0xfd, ...uleb(SIMD.load), 0, ...uleb(offset));
}

/** `v128.load32_splat`: the f32 at byte address `addr` in all 4 lanes. */
export function loadSplat(addr: Expr | Local, offset = 0): Expr {
  return (f) => f.expr(asExpr(addr)).emit(0xfd, ...uleb(SIMD.load32Splat), 2, ...uleb(offset));
}

/** `f32x4.splat(value)`. */
export function splat(value: Expr | Local): Expr {
  return (f) => f.expr(asExpr(value)).emit(0xfd, ...uleb(SIMD.f32x4Splat));
}

/** `v128.const` with the same f32 in all 4 lanes. */
export function vconst(value: number): Expr {
  const bytes = new Uint8Array(16);
  const view = new DataView(bytes.buffer);
  for (let lane = 0; lane < 4; lane++) view.setFloat32(4 * lane, value, true);
  return (f) => f.emit(0xfd, ...uleb(SIMD.const), ...bytes);
}

/** `v128.const` with the same i32 in all 4 lanes. */
export function iconst4(value: number): Expr {
  const bytes = new Uint8Array(16);
  const view = new DataView(bytes.buffer);
  for (let lane = 0; lane < 4; lane++) view.setInt32(4 * lane, value, true);
  return (f) => f.emit(0xfd, ...uleb(SIMD.const), ...bytes);
}

/** Lane `lane` (0-3) of a v128 as an f32 (`f32x4.extract_lane`). */
export function f32x4Lane(v: Expr | Local, lane: number): Expr {
  return (f) => f.expr(asExpr(v)).emit(0xfd, ...uleb(SIMD.f32x4ExtractLane), lane);
}

/** `i32x4.splat(value)`. */
export function isplat4(value: Expr | Local): Expr {
  return (f) => f.expr(asExpr(value)).emit(0xfd, ...uleb(SIMD.i32x4Splat));
}

/** f32x4 / v128 lane-wise operations. `vmin` / `vmax` return NaN in a lane where either side is NaN. */
/**
 * Relaxed SIMD's `f32x4.relaxed_madd`: `a * b + c`, rounded once where the machine has fused multiply-add
 * and twice where it has not (the same way every time on one machine). Only in modules built for runtimes
 * that validate it (see `relaxed-simd.ts`).
 */
export function vmadd(a: Expr | Local, b: Expr | Local, c: Expr | Local): Expr {
  return (f) => f.expr(asExpr(a)).expr(asExpr(b)).expr(asExpr(c)).emit(0xfd, ...uleb(SIMD.f32x4RelaxedMadd));
}

export const vadd = simdBinary(SIMD.f32x4Add);
export const vsub = simdBinary(SIMD.f32x4Sub);
export const vmul = simdBinary(SIMD.f32x4Mul);
export const vdiv = simdBinary(SIMD.f32x4Div);
export const vmin = simdBinary(SIMD.f32x4Min);
export const vmax = simdBinary(SIMD.f32x4Max);
export const vabs = simdUnary(SIMD.f32x4Abs);
export const vneg = simdUnary(SIMD.f32x4Neg);
export const vsqrt = simdUnary(SIMD.f32x4Sqrt);
export const vfloor = simdUnary(SIMD.f32x4Floor);
/** Round to the nearest integer, ties to even. */
export const vnearest = simdUnary(SIMD.f32x4Nearest);
/** Lane-wise comparisons: all ones where true, zero where false. */
export const vlt = simdBinary(SIMD.f32x4Lt);
export const vgt = simdBinary(SIMD.f32x4Gt);
/** `i32x4` lane-wise integer operations. */
export const i32x4Add = simdBinary(SIMD.i32x4Add);
export const i32x4Sub = simdBinary(SIMD.i32x4Sub);
/** Shifts every lane of `a` by the i32 `bits` (`i32x4.shl`, `i32x4.shr_s`). */
export const i32x4Shl = simdBinary(SIMD.i32x4Shl);
export const i32x4ShrS = simdBinary(SIMD.i32x4ShrS);
/** `i32x4.trunc_sat_f32x4_s`: NaN gives 0, out-of-range values saturate. */
export const i32x4TruncSatF32x4 = simdUnary(SIMD.i32x4TruncSatF32x4S);
export const f32x4ConvertI32x4 = simdUnary(SIMD.f32x4ConvertI32x4S);
/** `b > a ? b : a` lane-wise: a NaN in `b` leaves `a`. */
export const vpmax = simdBinary(SIMD.f32x4Pmax);
/** `b < a ? b : a` lane-wise: a NaN in `b` leaves `a`. */
export const vpmin = simdBinary(SIMD.f32x4Pmin);
export const veq = simdBinary(SIMD.f32x4Eq);
/** All ones where `a != b`, so where either is NaN: `vne(x, x)` marks x's NaN lanes. */
export const vne = simdBinary(SIMD.f32x4Ne);
export const vand = simdBinary(SIMD.and);
export const vor = simdBinary(SIMD.or);
/** `a & ~b`. */
export const vandNot = simdBinary(SIMD.andNot);

/** `v128.any_true`: an i32 1 when any bit of `a` is set, else 0. */
export const anyTrue = simdUnary(SIMD.anyTrue);

/** `v128.bitselect`: the bits of `a` where `mask` is 1, of `b` where it is 0. */
export function vbitselect(a: Expr | Local, b: Expr | Local, mask: Expr | Local): Expr {
  return (f) => f.expr(asExpr(a)).expr(asExpr(b)).expr(asExpr(mask)).emit(0xfd, ...uleb(SIMD.bitselect));
}

/**
 * `i8x16.shuffle` with the lanes given as f32 lane indices (0-3 from `a`, 4-7 from `b`): picks 4 of the 8
 * floats of `a` and `b`.
 */
export function shuffle32(a: Expr | Local, b: Expr | Local, lanes: [number, number, number, number]): Expr {
  const bytes = lanes.flatMap((lane) => [4 * lane, 4 * lane + 1, 4 * lane + 2, 4 * lane + 3]);
  return (f) => f.expr(asExpr(a)).expr(asExpr(b)).emit(0xfd, ...uleb(SIMD.shuffle), ...bytes);
}

/** Assembles functions into a module that imports its memory as `env.memory` and exports every function. */
export function assembleModule(functions: readonly FunctionBuilder[], sharedMemory: boolean): Uint8Array<ArrayBuffer> {
  const typeKeys: string[] = [];
  const types: number[][] = [];
  const typeIndex = functions.map((fn) => {
    const encoded = [0x60, ...vec(fn.params.map((t) => [t])), ...vec(fn.results.map((t) => [t]))];
    const key = encoded.join(',');
    let index = typeKeys.indexOf(key);
    if (index < 0) {
      index = typeKeys.push(key) - 1;
      types.push(encoded);
    }
    return index;
  });
  // A shared memory must be imported as shared, with a maximum (the wasm32 limit of 65536 pages).
  const limits = sharedMemory ? [0x03, 0, ...uleb(65536)] : [0x00, 0];
  const memoryImport = [...utf8('env'), ...utf8('memory'), 0x02, ...limits];
  const bytes = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec(types)),
    ...section(2, vec([memoryImport])),
    ...section(3, vec(typeIndex.map((i) => uleb(i)))),
    ...section(7, vec(functions.map((fn, i) => [...utf8(fn.name), 0x00, ...uleb(i)]))),
    ...section(10, vec(functions.map((fn) => fn.body()))),
  ];
  return new Uint8Array(bytes);
}
