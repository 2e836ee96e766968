/** Where the first NaN or infinite value of a set of tensors is, and how many there are in all. */
export interface NonFiniteReport {
  /** NaN and ±Infinity values in all the tensors looked at. */
  count: number;
  /** Tensors holding at least one. */
  tensors: number;
  /** The first tensor (in file order) holding one. */
  firstName: string;
  /** Its flat index in that tensor, and the value. */
  firstIndex: number;
  firstValue: number;
}

/**
 * Adds the non-finite values of one tensor's decoded values to `report` (created on the first one found).
 * A plain loop: a D0 checkpoint (4M floats) is scanned in a few milliseconds.
 */
export function countNonFinite(name: string, values: Float32Array, report: NonFiniteReport | undefined): NonFiniteReport | undefined {
  let count = 0;
  let first = -1;
  for (let i = 0; i < values.length; i++) {
    // v - v is 0 for every finite v and NaN for NaN and ±Infinity.
    if (values[i] - values[i] !== 0) {
      if (first < 0) first = i;
      count++;
    }
  }
  if (count === 0) return report;
  if (report === undefined) return { count, tensors: 1, firstName: name, firstIndex: first, firstValue: values[first] };
  report.count += count;
  report.tensors += 1;
  return report;
}

/**
 * The report as one clause: `3 values in 2 tensors are NaN or infinite, the first in tensor 'w' at index 5
 * (NaN)`, or `1 value is NaN or infinite: tensor 'w' at index 5 (Infinity)`.
 */
export function describeNonFinite(report: NonFiniteReport): string {
  const where = `tensor '${report.firstName}' at index ${report.firstIndex} (${report.firstValue})`;
  if (report.count === 1) return `1 value is NaN or infinite: ${where}`;
  const tensors = report.tensors === 1 ? '1 tensor' : `${report.tensors} tensors`;
  return `${report.count} values in ${tensors} are NaN or infinite, the first in ${where}`;
}
