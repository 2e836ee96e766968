import { SafetensorsArgumentError } from './errors.js';
import { describeValue } from './describe-value.js';

/**
 * Checks that a file argument is a `Uint8Array` (a Node `Buffer` is one), from this realm or another (a
 * worker message, a vm context). Another typed array or a bare `ArrayBuffer` is refused rather than read
 * as bytes, since its length counts elements, not bytes, or it has no offset: the message says how to wrap it.
 * @throws SafetensorsArgumentError naming `argument`
 */
export function checkBytes(value: unknown, argument: string, alsoAccepted = ''): asserts value is Uint8Array {
  if (isUint8Array(value)) return;
  const wrap = value instanceof ArrayBuffer ? ' (wrap an ArrayBuffer as new Uint8Array(buffer))' : '';
  throw new SafetensorsArgumentError(
    argument,
    `a Uint8Array of the whole file (a Node Buffer is one)${alsoAccepted}${wrap}`,
    describeValue(value),
  );
}

/** Whether `value` is a `Uint8Array` of any realm (`Buffer` included). */
export function isUint8Array(value: unknown): value is Uint8Array {
  return ArrayBuffer.isView(value) && Object.prototype.toString.call(value) === '[object Uint8Array]';
}

/**
 * Checks a reader's options: `undefined` or an object whose `source`, when given, is a string.
 * @throws SafetensorsArgumentError naming `options` or `options.source`
 */
export function checkReadOptions(options: unknown): void {
  if (options === undefined) return;
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new SafetensorsArgumentError('options', 'an object such as { source: "model.safetensors" }', describeValue(options));
  }
  const { source } = options as { source?: unknown };
  if (source !== undefined && typeof source !== 'string') {
    throw new SafetensorsArgumentError('options.source', 'a string naming the file', describeValue(source));
  }
}
