import { createRandom as createMulberry32, type RandomSource } from '@edet/backbone-efficientnet';

/**
 * Seeded randomness for training. One seed drives everything random in a run: the order of each epoch,
 * every augmentation and the backbone's drop-connect masks. Each of those draws from its own stream,
 * derived from the seed and a key (`epoch 3 / sample 17`), never from a shared running generator, so a run
 * resumed at any step draws exactly what the uninterrupted run would have drawn: the state of the
 * randomness is just `(seed, epoch, step)`.
 */

/** Uniform numbers in [0, 1). */
export type Random = RandomSource;

/** Mixes a 32-bit value (murmur3's finaliser): every input bit affects every output bit. */
function mix32(value: number): number {
  let h = value >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A 32-bit seed from a seed and a key path of integers and strings (stable across platforms and runs). */
export function deriveSeed(seed: number, ...keys: readonly (number | string)[]): number {
  let h = mix32(Math.floor(seed) ^ 0x9e3779b9);
  for (const key of keys) {
    if (typeof key === 'number') {
      h = mix32(h ^ mix32(key >>> 0) ^ mix32(Math.floor(key / 2 ** 32) + 0x632be59b));
    } else {
      for (let i = 0; i < key.length; i++) h = mix32(h ^ (key.charCodeAt(i) + 0x27d4eb2f));
    }
    h = mix32(h + 0x165667b1);
  }
  return h;
}

/**
 * A mulberry32 generator (32-bit state) from a 32-bit seed: the backbone's own generator (drop-connect
 * masks), so one implementation serves the model and the data pipeline.
 */
export const createRandom: (seed: number) => Random = createMulberry32;

/** The stream of `seed` under `keys`: `streamOf(seed, 'augment', epoch, index)`. */
export function streamOf(seed: number, ...keys: readonly (number | string)[]): Random {
  return createRandom(deriveSeed(seed, ...keys));
}

/** A uniform number in [low, high). */
export function uniform(random: Random, low: number, high: number): number {
  return low + (high - low) * random();
}

/** A uniform integer in [0, n). */
export function randomInt(random: Random, n: number): number {
  return Math.min(n - 1, Math.floor(random() * n));
}

/** A Fisher-Yates shuffle of `0..n-1`. */
export function shuffledIndices(n: number, random: Random): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = randomInt(random, i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

/** A fresh seed for runs without `--seed` (recorded in the checkpoint and the log, so the run can be repeated). */
export function randomSeed(): number {
  return Math.floor(Math.random() * 2 ** 31);
}
