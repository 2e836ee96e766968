import { type ReadSafetensorsOptions, type SafetensorsHeader, readSafetensorsHeader } from './header.js';
import { checkBytes, isUint8Array } from './check-arguments.js';
import { describeValue } from './describe-value.js';
import { SafetensorsArgumentError } from './errors.js';

/**
 * A safetensors file whose header is parsed and validated, tensors not yet read: what a program holds
 * between looking at a file (its metadata, names and shapes) and loading it, so that the bytes are read and
 * the header parsed once. `readSafetensors(parsed)` makes the tensors without parsing again.
 */
export interface ParsedSafetensors {
  /** The whole file (not copied: the caller must not change it while `parsed` is in use). */
  readonly bytes: Uint8Array;
  /** The validated header: tensor entries in file order, metadata, data offset. */
  readonly header: SafetensorsHeader;
  /** The file or URL the bytes came from, for error messages (`'safetensors'` when not given). */
  readonly source: string;
}

/**
 * Parses and validates a safetensors file's header and keeps it with the bytes (no tensors are made, nothing
 * to dispose). Metadata: `parsed.header.metadata`; tensors: `readSafetensors(parsed)`.
 *
 * @param bytes the whole file; it may start at any offset of its `ArrayBuffer`
 * @param options `source` names the file in error messages
 * @throws SafetensorsFormatError naming `options.source` when the file is malformed or truncated
 * @throws SafetensorsArgumentError when `bytes` is not a `Uint8Array` or `options.source` not a string
 */
export function parseSafetensors(bytes: Uint8Array, options: ReadSafetensorsOptions = {}): ParsedSafetensors {
  return { bytes, header: readSafetensorsHeader(bytes, options), source: options.source ?? 'safetensors' };
}

/** Whether `file` is already parsed (a `ParsedSafetensors`) rather than raw bytes. */
export function isParsedSafetensors(file: Uint8Array | ParsedSafetensors): file is ParsedSafetensors {
  // ArrayBuffer.isView, not instanceof: bytes from another realm (a worker message, a vm context) count too.
  return !ArrayBuffer.isView(file);
}

/**
 * Checks that `file` is what the readers take: a `Uint8Array` of the whole file, or a `parseSafetensors`
 * result (an object holding `bytes`, a `header` with `entries` and a `source`).
 * @param argument the argument's name in the message (`'file'`, `'weights'`)
 * @throws SafetensorsArgumentError naming `argument` and what is accepted
 */
export function checkSafetensorsFile(file: unknown, argument: string): asserts file is Uint8Array | ParsedSafetensors {
  if (file !== null && typeof file === 'object' && !ArrayBuffer.isView(file) && !(file instanceof ArrayBuffer)) {
    const { bytes, header, source } = file as Partial<ParsedSafetensors>;
    const parsed = isUint8Array(bytes) && typeof source === 'string' && header !== null && typeof header === 'object' && Array.isArray(header.entries);
    if (parsed) return;
    throw new SafetensorsArgumentError(
      argument,
      'a Uint8Array of the whole file or a parseSafetensors result { bytes, header, source }',
      `an object with keys ${describeValue(Object.keys(file))}`,
    );
  }
  checkBytes(file, argument, ' or a parseSafetensors result');
}
