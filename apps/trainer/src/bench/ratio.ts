import type { TimingSummary } from './statistics.js';

/** How much faster one backend ran than another, by median latency. */
export interface SpeedRatio {
  faster: string;
  slower: string;
  /** slower median / faster median, >= 1. */
  factor: number;
}

/** Compares two backends' medians; ties count the first as faster. */
export function speedRatio(
  first: TimingSummary & { backend: string },
  second: TimingSummary & { backend: string },
): SpeedRatio {
  const [faster, slower] = first.medianMs <= second.medianMs ? [first, second] : [second, first];
  return { faster: faster.backend, slower: slower.backend, factor: slower.medianMs / faster.medianMs };
}

/** `wasm is 31.2x faster than cpu`. */
export function describeRatio(ratio: SpeedRatio): string {
  return `${ratio.faster} is ${ratio.factor.toFixed(1)}x faster than ${ratio.slower}`;
}
