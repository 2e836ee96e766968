/** A source of uniform numbers in [0, 1), called once per random draw. */
export type RandomSource = () => number;

/**
 * A small seedable generator (mulberry32: 32-bit state, period 2^32), enough for drop-connect and dropout
 * masks. The same seed gives the same sequence on every backend, because masks are drawn in JS.
 * Without a seed, the state starts from `Math.random()`.
 */
export function createRandom(seed?: number): RandomSource {
  let state = (seed === undefined ? Math.floor(Math.random() * 2 ** 32) : Math.floor(seed)) >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}
