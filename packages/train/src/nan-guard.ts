import { TrainError } from './errors.js';

/** A step whose loss is not a finite number: training stops here, naming the step and its images. */
export class NonFiniteLossError extends TrainError {
  constructor(
    readonly step: number,
    readonly images: readonly string[],
    readonly value: number,
    checkpointNote: string,
  ) {
    super(
      `loss became ${Number.isNaN(value) ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity'} at step ${step} ` +
        `(batch: ${images.join(', ')}); stopped without saving. ${checkpointNote} Try a lower --lr, a smaller --clip or more --warmup-steps.`,
    );
  }
}

/**
 * Throws `NonFiniteLossError` unless every loss part is finite. `checkpointNote` (one sentence) says what was
 * saved so far.
 */
export function checkFiniteLoss(
  losses: { loss: number; classificationLoss: number; boxLoss: number },
  step: number,
  images: readonly string[],
  checkpointNote: string,
): void {
  const bad = [losses.loss, losses.classificationLoss, losses.boxLoss].find((value) => !Number.isFinite(value));
  if (bad !== undefined) throw new NonFiniteLossError(step, images, bad, checkpointNote);
}
