/**
 * A short, safe description of any value for an error message: JSON for small values, cut to `maxLength`
 * characters, and a plain description where JSON would fail (a cycle, a BigInt) or say nothing
 * (`undefined`, a function). Never throws, so a message cannot turn one error into another.
 */
export function describeValue(value: unknown, maxLength = 80): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'symbol') return value.toString();
  if (value instanceof ArrayBuffer) return `an ArrayBuffer of ${value.byteLength} bytes`;
  if (ArrayBuffer.isView(value)) {
    return `a ${Object.prototype.toString.call(value).slice(8, -1)} of ${value.byteLength} bytes`;
  }
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch {
    text = undefined;
  }
  if (text === undefined) return Array.isArray(value) ? 'an array' : typeof value === 'object' ? 'an object' : String(value);
  return text.length > maxLength ? `${text.slice(0, maxLength)}... (${text.length} characters)` : text;
}
