import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError, formatShape } from '@edet/tensor';

/**
 * Validates training targets: one `[Ni, 5]` float tensor per image, rows `[x1, y1, x2, y2, classId]` in
 * absolute input pixels, finite, with `x2 > x1`, `y2 > y1` and integer class ids in `[0, numClasses)`.
 * `Ni = 0` (an image without objects) is allowed. Throws `InvalidArgumentError` naming `targets[i]` and,
 * for a bad value, the row. Reads the targets back to JS (they are small).
 */
export function checkTargets(targets: unknown, batchSize: number, numClasses: number): asserts targets is tf.Tensor2D[] {
  if (!Array.isArray(targets)) {
    throw new InvalidArgumentError('targets', `an array of ${batchSize} tensors [Ni, 5] (one per image)`, describe(targets));
  }
  if (targets.length !== batchSize) {
    throw new InvalidArgumentError('targets', `one tensor per image: ${batchSize} (the batch size of x)`, `${targets.length}`);
  }
  targets.forEach((target, i) => {
    const name = `targets[${i}]`;
    if (!(target instanceof tf.Tensor)) throw new InvalidArgumentError(name, 'a tf.Tensor [Ni, 5]', describe(target));
    if (target.rank !== 2 || target.shape[1] !== 5) {
      throw new InvalidArgumentError(name, 'shape [Ni, 5] with rows [x1, y1, x2, y2, classId]', `shape ${formatShape(target.shape)}`);
    }
    const values = target.dataSync();
    for (let row = 0; row < target.shape[0]; row++) {
      const [x1, y1, x2, y2, classId] = values.subarray(row * 5, row * 5 + 5);
      const rowText = `row ${row} [${[x1, y1, x2, y2, classId].join(', ')}]`;
      if (![x1, y1, x2, y2, classId].every(Number.isFinite)) throw new InvalidArgumentError(name, 'finite values', rowText);
      if (!(x2 > x1) || !(y2 > y1)) throw new InvalidArgumentError(name, 'boxes with x2 > x1 and y2 > y1', rowText);
      if (!Number.isInteger(classId) || classId < 0 || classId >= numClasses) {
        throw new InvalidArgumentError(name, `integer class ids in [0, ${numClasses})`, rowText);
      }
    }
  });
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}
