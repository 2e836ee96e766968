import { type Expr, type Local, FunctionBuilder, I32, add, and, mul, shrS } from './assembler.js';
import { type Lanes, SCALAR, VECTOR, stridedLoop } from './conv-loops.js';

/**
 * `finiteSum(x, count, out)`: the sum of `x[i] * 0` over `count` float32 values, which is 0 (or -0) when every
 * value is finite and NaN as soon as one is NaN or +/-Infinity (the products of finite values are zeros, so
 * nothing overflows). Four lanes at a time into `out[0..3]`, the 0-3 values left over into `out[4]`; the
 * caller checks that all five are 0. Pointers are byte offsets.
 */
export function finiteSumProgram(): FunctionBuilder {
  const f = new FunctionBuilder('finiteSum', [I32, I32, I32]);
  const [x, count, out] = f.args;
  const xPtr = f.local();
  /** The sum over iterations `[from, to)` of a loop reading `m`'s width at a time from `start`. */
  const sum = (m: Lanes, from: Expr | Local, to: Expr | Local, start: Expr | Local): Local => {
    const acc = f.local(m.type);
    const zero = f.local(m.type);
    f.set(acc, m.zero);
    f.set(zero, m.zero);
    stridedLoop(f, from, to, [{ ptr: xPtr, start, stepBytes: m.width * 4 }], () => f.set(acc, m.add(acc, m.mul(m.load(xPtr), zero))));
    return acc;
  };
  const vectorEnd = f.local();
  f.set(vectorEnd, and(count, ~3));
  VECTOR.store(f, out, sum(VECTOR, 0, shrS(count, 2), x));
  SCALAR.store(f, add(out, 16), sum(SCALAR, vectorEnd, count, add(x, mul(vectorEnd, 4))));
  return f;
}
