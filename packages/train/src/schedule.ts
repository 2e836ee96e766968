/**
 * The learning-rate schedule, per optimizer step: a linear warm-up from `baseLr / warmupSteps` to `baseLr`
 * over the first `warmupSteps` steps, then a cosine decay to `minLr` at `totalSteps`.
 */
export interface Schedule {
  baseLr: number;
  warmupSteps: number;
  totalSteps: number;
  minLr: number;
}

/** The rate of update number `step` (0-based: the first update uses `learningRateAt(s, 0)`). */
export function learningRateAt(schedule: Schedule, step: number): number {
  const { baseLr, warmupSteps, totalSteps, minLr } = schedule;
  if (step < warmupSteps) return (baseLr * (step + 1)) / warmupSteps;
  const span = Math.max(1, totalSteps - warmupSteps);
  const progress = Math.min(1, Math.max(0, (step - warmupSteps) / span));
  return minLr + 0.5 * (baseLr - minLr) * (1 + Math.cos(Math.PI * progress));
}

/** The warm-up when `--warmup-steps` is not given: 5% of the run, at most 500 steps (and at least 1). */
export function defaultWarmupSteps(totalSteps: number): number {
  return Math.max(1, Math.min(500, Math.round(totalSteps * 0.05)));
}
