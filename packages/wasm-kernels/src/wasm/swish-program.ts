import { type Local, FunctionBuilder, I32, add, and, mul, shrS } from './assembler.js';
import { stridedLoop } from './conv-loops.js';
import { LaneMath, SCALAR_MATH, VECTOR_MATH } from './simd-math.js';

/**
 * SIMD programs for the standalone swish op on float32 arrays of `count` elements (pointers are byte
 * offsets): 4 elements at a time, then the 0-3 left over one by one with the same math.
 */

/** `for i in [0, count)`, 4 wide then 1 wide (shared by the elementwise programs), with each `[ptr, array]` pair's `ptr` at element `i` of `array`. */
export function elementwise(f: FunctionBuilder, count: Local, pointers: [Local, Local][], body: (math: LaneMath) => void): void {
  const vectorEnd = f.local();
  f.set(vectorEnd, and(count, ~3));
  const vectorStreams = pointers.map(([ptr, array]) => ({ ptr, start: array, stepBytes: 16 }));
  const quads = f.local();
  f.set(quads, shrS(count, 2));
  const vector = new LaneMath(f, VECTOR_MATH);
  stridedLoop(f, 0, quads, vectorStreams, () => body(vector));
  const tailStreams = pointers.map(([ptr, array]) => ({ ptr, start: add(array, mul(vectorEnd, 4)), stepBytes: 4 }));
  const scalar = new LaneMath(f, SCALAR_MATH);
  stridedLoop(f, vectorEnd, count, tailStreams, () => body(scalar));
}

/** `swish(x, y, count)`: `y = x * sigmoid(x)`. */
export function swishProgram(): FunctionBuilder {
  const f = new FunctionBuilder('swish', [I32, I32, I32]);
  const [x, y, count] = f.args;
  const xPtr = f.local();
  const yPtr = f.local();
  elementwise(f, count, [[xPtr, x], [yPtr, y]], (math) => {
    const { m } = math;
    const value = f.local(m.type);
    f.set(value, m.load(xPtr));
    m.store(f, yPtr, math.swish(value));
  });
  return f;
}

/** `swishGrad(x, dy, dx, count)`: `dx = dy * sigmoid(x) * (1 + x * (1 - sigmoid(x)))`. */
export function swishGradProgram(): FunctionBuilder {
  const f = new FunctionBuilder('swishGrad', [I32, I32, I32, I32]);
  const [x, dy, dx, count] = f.args;
  const xPtr = f.local();
  const dyPtr = f.local();
  const dxPtr = f.local();
  elementwise(f, count, [[xPtr, x], [dyPtr, dy], [dxPtr, dx]], (math) => {
    const { m } = math;
    const value = f.local(m.type);
    f.set(value, m.load(xPtr));
    m.store(f, dxPtr, m.mul(m.load(dyPtr), math.swishDerivative(value)));
  });
  return f;
}
