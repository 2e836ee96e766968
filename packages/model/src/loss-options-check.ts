import {
  InvalidArgumentError,
  checkOptionalBoolean,
  checkOptionalChoice,
  checkOptionalNumber,
  checkOptionsObject,
} from '@edet/tensor';

/** The box losses `getLoss` knows, for checks and messages. */
export const BOX_LOSS_KINDS = ['smooth-l1', 'huber', 'iou', 'giou', 'diou', 'ciou'] as const;

const FINITE_NON_NEGATIVE = { min: 0, max: Infinity, maxExclusive: true };
const FINITE_POSITIVE = { min: 0, minExclusive: true, max: Infinity, maxExclusive: true };
const FRACTION = { min: 0, max: 1 };

/**
 * Checks the options of `getLoss` / `computeLoss` (and the loss and forward options of `trainStep`) before
 * any tensor is made: `alpha` in [0, 1], `gamma` >= 0, `boxLoss` one of `BOX_LOSS_KINDS`, `boxLossWeight`
 * >= 0, `smoothL1Beta` >= 0, `huberDelta` > 0 (all finite), `positiveIou` and `negativeIou` in [0, 1] with
 * `negativeIou <= positiveIou`, `matchLowQuality` and `channelsLast` true or false.
 * @throws InvalidArgumentError naming the first bad option and its accepted range
 */
export function checkLossOptions(options: unknown): void {
  const record = checkOptionsObject(options);
  checkOptionalNumber(record.alpha, 'alpha', FRACTION);
  checkOptionalNumber(record.gamma, 'gamma', FINITE_NON_NEGATIVE);
  checkOptionalChoice(record.boxLoss, 'boxLoss', BOX_LOSS_KINDS);
  checkOptionalNumber(record.boxLossWeight, 'boxLossWeight', FINITE_NON_NEGATIVE);
  checkOptionalNumber(record.smoothL1Beta, 'smoothL1Beta', FINITE_NON_NEGATIVE);
  checkOptionalNumber(record.huberDelta, 'huberDelta', FINITE_POSITIVE);
  checkOptionalNumber(record.positiveIou, 'positiveIou', FRACTION);
  checkOptionalNumber(record.negativeIou, 'negativeIou', FRACTION);
  const positiveIou = (record.positiveIou as number | undefined) ?? 0.5;
  const negativeIou = (record.negativeIou as number | undefined) ?? 0.4;
  if (negativeIou > positiveIou) {
    throw new InvalidArgumentError('negativeIou', `at most positiveIou (${positiveIou})`, String(negativeIou));
  }
  checkOptionalBoolean(record.matchLowQuality, 'matchLowQuality');
  checkOptionalBoolean(record.channelsLast, 'channelsLast');
}
