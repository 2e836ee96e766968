import {
  InvalidArgumentError,
  checkNumberOption,
  checkOptionalChoice,
  checkOptionalNumber,
  checkOptionsObject,
  describeValue,
} from '@edet/tensor';

/** The suppression modes, for checks and messages. */
export const NMS_MODES = ['per-class', 'agnostic', 'soft'] as const;

/** The accepted ranges, shared by `nms` and `postprocess` (and so `model.predict` / `model.detect`). */
const IOU_THRESHOLD = { min: 0, max: 1 };
const MAX_DETECTIONS = { min: 0, integer: true };
const SOFT_NMS_SIGMA = { min: 0, minExclusive: true, max: Infinity, maxExclusive: true };

/**
 * Checks the options of `nms`: `mode` one of `NMS_MODES`, `iouThreshold` in [0, 1], `scoreThreshold` any
 * number but NaN (scores may be logits), `softNmsSigma` finite and > 0, `maxDetections` a whole number >= 0
 * or Infinity.
 * @param prefix put before each option's name in messages (`'options.'`)
 * @throws InvalidArgumentError naming the first bad option and its accepted range
 */
export function checkNmsOptions(options: unknown, prefix = ''): void {
  const record = checkOptionsObject(options, prefix === '' ? 'options' : prefix.replace(/\.$/, ''));
  checkOptionalChoice(record.mode, `${prefix}mode`, NMS_MODES);
  checkOptionalNumber(record.iouThreshold, `${prefix}iouThreshold`, IOU_THRESHOLD);
  checkOptionalNumber(record.scoreThreshold, `${prefix}scoreThreshold`, {});
  checkOptionalNumber(record.softNmsSigma, `${prefix}softNmsSigma`, SOFT_NMS_SIGMA);
  checkOptionalNumber(record.maxDetections, `${prefix}maxDetections`, MAX_DETECTIONS);
}

/**
 * Checks the thresholds and NMS options of `postprocess` (and of `model.predict` / `model.detect`, which
 * call it before making any tensor): `scoreThreshold` in [0, 1] (scores are probabilities), `iouThreshold`
 * in [0, 1], `nms` one of `NMS_MODES`, `softNmsSigma` finite and > 0, `maxDetections` a whole number >= 0
 * or Infinity. `imageSize`, when `requireImageSize`, is two positive finite numbers.
 * @throws InvalidArgumentError naming the first bad option and its accepted range
 */
export function checkPostprocessOptions(options: unknown, requireImageSize = false): void {
  const record = checkOptionsObject(options);
  checkOptionalNumber(record.scoreThreshold, 'scoreThreshold', { min: 0, max: 1 });
  checkOptionalNumber(record.iouThreshold, 'iouThreshold', IOU_THRESHOLD);
  checkOptionalChoice(record.nms, 'nms', NMS_MODES);
  checkOptionalNumber(record.softNmsSigma, 'softNmsSigma', SOFT_NMS_SIGMA);
  checkOptionalNumber(record.maxDetections, 'maxDetections', MAX_DETECTIONS);
  if (!requireImageSize) return;
  const size = record.imageSize;
  if (!Array.isArray(size) || size.length !== 2) {
    throw new InvalidArgumentError('imageSize', '[height, width]', describeValue(size));
  }
  size.forEach((side, axis) =>
    checkNumberOption(side, `imageSize[${axis}]`, { min: 0, minExclusive: true, max: Infinity, maxExclusive: true }),
  );
}
