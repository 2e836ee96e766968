/**
 * Channel and repeat scaling of EfficientNet (efficientnet-pytorch `round_filters` / `round_repeats`).
 * Both must match the reference bit for bit, or checkpoints stop fitting.
 */

const DIVISOR = 8;

/**
 * Scales a channel count by `widthCoefficient` and rounds it to the nearest multiple of 8 (at least 8);
 * if rounding lost more than 10% of the scaled value, one more step of 8 is added.
 */
export function roundFilters(filters: number, widthCoefficient: number): number {
  if (!widthCoefficient) return filters;
  const scaled = filters * widthCoefficient;
  let rounded = Math.max(DIVISOR, Math.floor(Math.floor(scaled + DIVISOR / 2) / DIVISOR) * DIVISOR);
  if (rounded < 0.9 * scaled) rounded += DIVISOR;
  return rounded;
}

/** Scales a repeat count by `depthCoefficient`, rounding up (`ceil(depth * repeats)`). */
export function roundRepeats(repeats: number, depthCoefficient: number): number {
  if (!depthCoefficient) return repeats;
  return Math.ceil(depthCoefficient * repeats);
}
