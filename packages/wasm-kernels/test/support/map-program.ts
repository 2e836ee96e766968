/**
 * Test modules of their own for the SIMD math of `simd-math`: programs that map an array of floats through
 * one function, and a runner over a wasm memory.
 */
import * as asm from '../../src/wasm/assembler.js';
import { type Expr, FunctionBuilder, I32, type Local, assembleModule } from '../../src/wasm/assembler.js';
import { stridedLoop } from '../../src/wasm/conv-loops.js';
import { type MathLanes, LaneMath } from '../../src/wasm/simd-math.js';

/**
 * `name(src, dst, count)` maps `count` floats through `map`, 4 wide (count a multiple of 4) or 1 wide, as the
 * lanes `m` say.
 */
export function mapProgram(name: string, m: MathLanes, map: (math: LaneMath, x: Local) => Expr | Local): FunctionBuilder {
  const f = new FunctionBuilder(name, [I32, I32, I32]);
  const [src, dst, count] = f.args;
  const srcPtr = f.local();
  const dstPtr = f.local();
  const steps = f.local();
  f.set(steps, m.width === 4 ? asm.shrS(count, 2) : count);
  const step = 4 * m.width;
  const math = new LaneMath(f, m);
  stridedLoop(f, 0, steps, [{ ptr: srcPtr, start: src, stepBytes: step }, { ptr: dstPtr, start: dst, stepBytes: step }], () => {
    const x = f.local(m.type);
    f.set(x, m.load(srcPtr));
    m.store(f, dstPtr, map(math, x));
  });
  return f;
}

/**
 * Assembles `programs` into one module over a new memory of `pages` 64 KiB pages, and returns the runner:
 * `run(name, xs)` copies `xs` to the start of the memory, maps it through program `name` into the floats
 * right after it, and returns a copy of the result.
 */
export function mapRunner(programs: FunctionBuilder[], pages: number): (name: string, xs: Float32Array) => Float32Array {
  const memory = new WebAssembly.Memory({ initial: pages });
  const instance = new WebAssembly.Instance(new WebAssembly.Module(assembleModule(programs, false)), { env: { memory } });
  return (name, xs) => {
    new Float32Array(memory.buffer).set(xs, 0);
    (instance.exports[name] as (...args: number[]) => void)(0, 4 * xs.length, xs.length);
    return new Float32Array(memory.buffer, 4 * xs.length, xs.length).slice();
  };
}
