import type { TimingSummary } from './statistics.js';

/** How much faster one backend (or model) ran than another, by median latency. */
export interface SpeedRatio {
  faster: string;
  slower: string;
  /** slower median / faster median, >= 1. */
  factor: number;
}

/**
 * Compares two results' medians; ties count the first as faster. `name` says what a result is called:
 * its backend by default (`edet bench --model` compares models instead).
 */
export function speedRatio<Result extends TimingSummary & { backend: string }>(
  first: Result,
  second: Result,
  name: (result: Result) => string = (result) => result.backend,
): SpeedRatio {
  const [faster, slower] = first.medianMs <= second.medianMs ? [first, second] : [second, first];
  return { faster: name(faster), slower: name(slower), factor: slower.medianMs / faster.medianMs };
}

/** `wasm is 31.2x faster than cpu`. */
export function describeRatio(ratio: SpeedRatio): string {
  return `${ratio.faster} is ${ratio.factor.toFixed(1)}x faster than ${ratio.slower}`;
}
