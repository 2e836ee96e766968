import { SafetensorsFormatError, formatShape } from './errors.js';
import {
  SAFETENSORS_DTYPE_SIZES,
  type SafetensorsDtype,
  isSafetensorsDtype,
  isUnsupportedSafetensorsDtype,
} from './dtypes.js';
import { topLevelJsonKeys } from './json-keys.js';
import { jsonNestingDepth } from './json-depth.js';
import { describeValue } from './describe-value.js';
import { checkBytes, checkReadOptions } from './check-arguments.js';

/** One tensor as the header describes it; no data is read. */
export interface SafetensorsEntry {
  name: string;
  dtype: SafetensorsDtype;
  /** Dimensions in C (row-major) order; `[]` is a scalar. */
  shape: number[];
  /** `[begin, end)` byte range of the tensor, counted from `SafetensorsHeader.dataStart`. */
  dataOffsets: [number, number];
}

/** The parsed and validated header of a safetensors file. */
export interface SafetensorsHeader {
  /** Every tensor, in the order the header lists them (the file order). */
  entries: SafetensorsEntry[];
  /** The `__metadata__` map; empty if the file has none. */
  metadata: Record<string, string>;
  /** Length in bytes of the JSON header (the u64 at the start of the file), padding included. */
  headerLength: number;
  /** Byte offset of the data area within the file: `8 + headerLength`. */
  dataStart: number;
}

/** Options of `readSafetensorsHeader` and `readSafetensors`. */
export interface ReadSafetensorsOptions {
  /** Name of the file or URL the bytes came from; error messages start with it. Default `'safetensors'`. */
  source?: string;
}

const METADATA_KEY = '__metadata__';

/**
 * The largest JSON header this package reads, in bytes: 100 MB, the limit of the reference (Rust) reader.
 * A real header is a few hundred bytes per tensor; anything larger is a corrupt or hostile file.
 */
export const SAFETENSORS_MAX_HEADER_LENGTH = 100_000_000;

/**
 * The deepest nesting of arrays and objects a header may have. A valid header nests 3 levels (header,
 * entry, shape); the margin admits extra fields a writer may add to an entry, while a hostile header
 * nested 100k deep is refused before anything recurses over it.
 */
export const SAFETENSORS_MAX_HEADER_DEPTH = 16;

/**
 * Parses and validates the header of a safetensors file without creating tensors.
 *
 * Checks everything a reader relies on, so that `readSafetensors` can slice the data blindly: a known dtype,
 * a shape of non-negative integers, `data_offsets` whose length matches the shape, and buffers that are
 * contiguous and cover the data area exactly (as the specification requires).
 *
 * @param bytes the whole file
 * @throws SafetensorsFormatError naming `options.source` and the offending tensor when the file is malformed or truncated
 *   (a header longer than `SAFETENSORS_MAX_HEADER_LENGTH` or nested deeper than `SAFETENSORS_MAX_HEADER_DEPTH` included)
 * @throws SafetensorsArgumentError when `bytes` is not a `Uint8Array` or `options.source` not a string
 */
export function readSafetensorsHeader(bytes: Uint8Array, options: ReadSafetensorsOptions = {}): SafetensorsHeader {
  checkBytes(bytes, 'bytes');
  checkReadOptions(options);
  const source = options.source ?? 'safetensors';
  const fail = failureFor(source);
  const header = parseHeader(bytes, fail);
  checkBuffersCoverData(header.entries, header.dataStart, bytes.length, fail);
  return header;
}

/**
 * The `__metadata__` map of a safetensors file, read from its header alone: `bytes` may be the whole file or
 * just its start (the u64 length and the JSON header, e.g. the first bytes of a download), since the tensor
 * data is not looked at. The header is validated as `readSafetensorsHeader` does, except for the check that
 * the buffers cover the data area.
 *
 * @param bytes the file, or at least its first `8 + headerLength` bytes
 * @returns the metadata strings; `{}` when the file has none
 * @throws SafetensorsFormatError naming `options.source` when the header is truncated or malformed
 * @throws SafetensorsArgumentError when `bytes` is not a `Uint8Array` or `options.source` not a string
 */
export function readSafetensorsMetadata(bytes: Uint8Array, options: ReadSafetensorsOptions = {}): Record<string, string> {
  checkBytes(bytes, 'bytes');
  checkReadOptions(options);
  return parseHeader(bytes, failureFor(options.source ?? 'safetensors')).metadata;
}

function failureFor(source: string): (problem: string) => never {
  return (problem) => {
    throw new SafetensorsFormatError(source, problem);
  };
}

// Everything about the header but whether the buffers tile the data area (which needs the whole file).
function parseHeader(bytes: Uint8Array, fail: (problem: string) => never): SafetensorsHeader {
  if (bytes.length < 8) {
    fail(`file is truncated: expected at least 8 bytes (the u64 header length), got ${bytes.length}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getUint32(4, true) * 2 ** 32 + view.getUint32(0, true);
  if (8 + headerLength > bytes.length) {
    fail(
      `header length ${headerLength} is beyond the end of the file: expected at least ${8 + headerLength} bytes, ` +
        `got ${bytes.length} (the file is truncated or is not a safetensors file)`,
    );
  }
  if (headerLength > SAFETENSORS_MAX_HEADER_LENGTH) {
    fail(
      `header length ${headerLength} is over the limit of ${SAFETENSORS_MAX_HEADER_LENGTH} bytes ` +
        `(the file is corrupt or is not a safetensors file)`,
    );
  }
  const dataStart = 8 + headerLength;

  let text = '';
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, dataStart));
  } catch {
    fail('header is not valid UTF-8');
  }
  const depth = jsonNestingDepth(text, SAFETENSORS_MAX_HEADER_DEPTH);
  if (depth > SAFETENSORS_MAX_HEADER_DEPTH) {
    fail(
      `header nests arrays and objects more than ${SAFETENSORS_MAX_HEADER_DEPTH} levels deep ` +
        `(a safetensors header nests 3: header, tensor entry, shape)`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    fail(`header is not valid JSON (${(error as Error).message})`);
  }
  if (!isPlainObject(parsed)) fail(`header is not a JSON object, it starts with ${JSON.stringify(text.slice(0, 20))}`);
  const header = parsed as Record<string, unknown>;

  const names = topLevelJsonKeys(text);
  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name)) fail(`header lists '${name}' more than once`);
    seen.add(name);
  }

  const metadata = METADATA_KEY in header ? parseMetadata(header[METADATA_KEY], fail) : {};
  const entries = names
    .filter((name) => name !== METADATA_KEY)
    .map((name) => parseEntry(name, header[name], (problem) => fail(`tensor '${name}': ${problem}`)));
  return { entries, metadata, headerLength, dataStart };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function parseMetadata(value: unknown, fail: (problem: string) => never): Record<string, string> {
  if (!isPlainObject(value)) fail(`__metadata__ must be an object of strings, got ${describeValue(value)}`);
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    if (typeof item !== 'string') fail(`__metadata__ value of '${key}' must be a string, got ${describeValue(item)}`);
  }
  // fromEntries defines own properties, so a key such as "__proto__" cannot reach the prototype.
  return Object.fromEntries(Object.entries(value as Record<string, string>));
}

function parseEntry(name: string, value: unknown, fail: (problem: string) => never): SafetensorsEntry {
  if (!isPlainObject(value)) fail(`entry must be an object {dtype, shape, data_offsets}, got ${describeValue(value)}`);
  const { dtype, shape, data_offsets: offsets } = value as Record<string, unknown>;

  if (typeof dtype !== 'string') fail(`dtype must be a string, got ${describeValue(dtype)}`);
  const dtypeName = dtype as string;
  if (!isSafetensorsDtype(dtypeName)) {
    const known = Object.keys(SAFETENSORS_DTYPE_SIZES).join(', ');
    fail(
      isUnsupportedSafetensorsDtype(dtypeName)
        ? `dtype ${dtypeName} is not supported (supported: ${known})`
        : `unknown dtype ${describeValue(dtypeName)} (supported: ${known})`,
    );
  }
  const entryDtype = dtypeName as SafetensorsDtype;

  if (!Array.isArray(shape) || !shape.every(isCount)) {
    fail(`shape must be an array of non-negative integers, got ${describeValue(shape)}`);
  }
  const dims = shape as number[];
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount) || offsets[0] > offsets[1]) {
    fail(`data_offsets must be [begin, end] with integers 0 <= begin <= end, got ${describeValue(offsets)}`);
  }
  const [begin, end] = offsets as [number, number];

  const byteLength = dims.reduce((product, dim) => product * dim, 1) * SAFETENSORS_DTYPE_SIZES[entryDtype];
  if (!Number.isSafeInteger(byteLength)) fail(`shape ${formatShape(dims)} is too large`);
  if (end - begin !== byteLength) {
    fail(
      `data_offsets [${begin},${end}] span ${end - begin} bytes, but ${entryDtype} ${formatShape(dims)} ` +
        `needs ${byteLength}`,
    );
  }
  return { name, dtype: entryDtype, shape: [...dims], dataOffsets: [begin, end] };
}

// The specification requires the buffers to tile the data area: no gaps, no overlaps, nothing after the last.
// Checking it catches truncated downloads and hand-edited headers before any tensor is made.
function checkBuffersCoverData(
  entries: SafetensorsEntry[],
  dataStart: number,
  fileLength: number,
  fail: (problem: string) => never,
): void {
  const byOffset = [...entries].sort(
    (a, b) => a.dataOffsets[0] - b.dataOffsets[0] || a.dataOffsets[1] - b.dataOffsets[1],
  );
  let covered = 0;
  let previous: SafetensorsEntry | undefined;
  for (const entry of byOffset) {
    const [begin, end] = entry.dataOffsets;
    if (begin < covered && previous) {
      fail(
        `tensor '${entry.name}' data_offsets [${begin},${end}] overlap tensor '${previous.name}' ` +
          `[${previous.dataOffsets[0]},${previous.dataOffsets[1]}]`,
      );
    }
    if (begin > covered) {
      fail(
        `gap of ${begin - covered} bytes in the data area before tensor '${entry.name}' ` +
          `(data_offsets [${begin},${end}]; the buffers before it end at ${covered}): buffers must be contiguous`,
      );
    }
    covered = end;
    previous = entry;
  }
  const dataLength = fileLength - dataStart;
  if (covered > dataLength) {
    fail(
      `file is truncated: expected ${dataStart + covered} bytes, got ${fileLength} ` +
        `(tensor '${previous?.name}' ends at data offset ${covered}, the data area has ${dataLength} bytes)`,
    );
  }
  if (covered < dataLength) {
    fail(
      `data area has ${dataLength - covered} bytes after the last tensor buffer: expected ${dataStart + covered} ` +
        `bytes in all, got ${fileLength}`,
    );
  }
}
