import { type Local, FunctionBuilder, I32, f32ReinterpretI32, splat } from './assembler.js';
import { ActivationEpilogue, type FusedActivation } from './activation-epilogue.js';
import { elementwise } from './swish-program.js';

/**
 * A BiFPN node's fusion and the activation after it, in one pass over float32 maps:
 * `y = act(w0 * x0 + w1 * x1 [+ w2 * x2])`, each product and sum rounded to float32 in that order (as the
 * composed ops are).
 *
 * `weightedSum<n>_<act>(x0, x1, x2, w0, w1, w2, y, count)`: byte pointers (`x2` unused for n = 2), the
 * weights as float32 bits, then the element count.
 */
export function weightedSumProgram(inputs: 2 | 3, activation: FusedActivation): FunctionBuilder {
  const f = new FunctionBuilder(`weightedSum${inputs}_${activation}`, [I32, I32, I32, I32, I32, I32, I32, I32]);
  const [x0, x1, x2, w0, w1, w2, y, count] = f.args;
  const epilogue = new ActivationEpilogue(f, activation);
  const xs = [x0, x1, x2].slice(0, inputs);
  const pointers = xs.map(() => f.local());
  const yPtr = f.local();
  // The weights in every lane of a v128, and as scalars, set up before the loop.
  const vectorWeights = [w0, w1, w2].slice(0, inputs).map((bits) => {
    const local = f.local(epilogue.vector.m.type);
    f.set(local, splat(f32ReinterpretI32(bits)));
    return local;
  });
  const scalarWeights = [w0, w1, w2].slice(0, inputs).map((bits) => {
    const local = f.local(epilogue.scalar.m.type);
    f.set(local, f32ReinterpretI32(bits));
    return local;
  });
  const streams: [Local, Local][] = [...xs.map((x, i): [Local, Local] => [pointers[i], x]), [yPtr, y]];
  elementwise(f, count, streams, (math) => {
    const { m } = math;
    const weights = m.width === 4 ? vectorWeights : scalarWeights;
    const total = f.local(m.type);
    f.set(total, m.mul(weights[0], m.load(pointers[0])));
    for (let i = 1; i < inputs; i++) f.set(total, m.add(total, m.mul(weights[i], m.load(pointers[i]))));
    m.store(f, yPtr, epilogue.apply(math, total));
  });
  return f;
}

