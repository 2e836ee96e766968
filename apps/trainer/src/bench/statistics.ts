/** Summary of a set of timings, in milliseconds. */
export interface TimingSummary {
  medianMs: number;
  minMs: number;
  maxMs: number;
  meanMs: number;
}

/** Median (mean of the middle two for an even count), min, max and mean of `timesMs`; needs one value. */
export function summarizeTimings(timesMs: readonly number[]): TimingSummary {
  if (timesMs.length === 0) throw new RangeError('summarizeTimings needs at least one timing');
  const sorted = [...timesMs].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const medianMs = sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
  const meanMs = sorted.reduce((sum, time) => sum + time, 0) / sorted.length;
  return { medianMs, minMs: sorted[0], maxMs: sorted[sorted.length - 1], meanMs };
}
