import { FunctionBuilder, I32, V128, add, and, loadF32, loadV128, mul, shuffle32 } from './assembler.js';

/**
 * `interleave3(a, b, c, dst, count)`: `dst[3i + k] = plane_k[i]` for `i < count`, three planes of 32-bit
 * values (float32 or int32: the bits are moved as they are) into one array of pixels, as an image goes
 * from `[3, H, W]` (channels first) to `[H, W, 3]`. Four pixels at a time: three loads, six shuffles, three
 * stores; the 0-3 pixels left over one value at a time. Pointers are byte offsets.
 */
export function interleave3Program(): FunctionBuilder {
  const f = new FunctionBuilder('interleave3', [I32, I32, I32, I32, I32]);
  const [a, b, c, dst, count] = f.args;
  const [i, quadEnd, from, to] = Array.from({ length: 4 }, () => f.local());
  const [va, vb, vc, t] = Array.from({ length: 4 }, () => f.local(V128));
  f.set(quadEnd, and(count, ~3));
  f.for(i, 0, quadEnd, 4, () => {
    f.set(from, mul(i, 4));
    f.set(to, add(dst, mul(i, 12)));
    f.set(va, loadV128(add(a, from)));
    f.set(vb, loadV128(add(b, from)));
    f.set(vc, loadV128(add(c, from)));
    // [a0 b0 c0 a1], [b1 c1 a2 b2], [c2 a3 b3 c3]
    f.set(t, shuffle32(va, vb, [0, 4, 1, 5]));
    f.storeV128(to, shuffle32(t, vc, [0, 1, 4, 2]));
    f.set(t, shuffle32(vb, vc, [1, 5, 2, 6]));
    f.storeV128(add(to, 16), shuffle32(t, va, [0, 1, 6, 2]));
    f.set(t, shuffle32(va, vb, [3, 7, 3, 7]));
    f.storeV128(add(to, 32), shuffle32(vc, t, [2, 4, 5, 3]));
  });
  f.for(i, quadEnd, count, 1, () => {
    f.set(from, mul(i, 4));
    f.set(to, add(dst, mul(i, 12)));
    f.storeF32(to, loadF32(add(a, from)));
    f.storeF32(add(to, 4), loadF32(add(b, from)));
    f.storeF32(add(to, 8), loadF32(add(c, from)));
  });
  return f;
}
