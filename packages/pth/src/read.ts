import type { PthArchive } from './archive.js';
import { PthArgumentError, PthError } from './errors.js';
import { looksLikeLegacyPth, openLegacyPth } from './legacy.js';
import { type PthTensor, materializeTensor } from './materialize.js';
import { selectStateDict } from './state-dict.js';
import { looksLikeZip, openZipPth } from './zip.js';

/** Options of `readPth`. */
export interface ReadPthOptions {
  /** Names the file in errors (default `'checkpoint.pth'`). */
  source?: string;
  /** Read a training checkpoint's `state_dict_ema` instead of its `state_dict` (default false). */
  ema?: boolean;
}

/** What `readPth` returns. */
export interface PthContents {
  /** The model's tensors by name (wrapper prefixes removed), in the file's order. */
  tensors: Record<string, PthTensor>;
  /** Which of PyTorch's formats the file is in. */
  format: 'zip' | 'legacy';
  /** A training checkpoint's `arch` and `epoch`, when it has them, as strings (safetensors metadata). */
  metadata: Record<string, string>;
}

/**
 * Whether `bytes` look like a PyTorch checkpoint (a zip archive, or the legacy format's opening pickle):
 * a quick test on the first bytes, for choosing a reader; `readPth` checks everything.
 */
export function isPthFile(bytes: Uint8Array): boolean {
  return looksLikeZip(bytes) || looksLikeLegacyPth(bytes);
}

/**
 * Reads a PyTorch `.pth` checkpoint from its bytes, in either of PyTorch's formats (zip, PyTorch >= 1.6; and
 * legacy), a bare state dict or a training checkpoint (see `selectStateDict` for which dict is taken). Works
 * the same in Node and browsers. Every tensor is contiguous and little-endian, with the storage's own element
 * type (F32, F16, BF16, I64... as safetensors names them), so `pthToSafetensors` writes it bit for bit.
 * Nothing the pickle names is imported or called.
 *
 * @param bytes the whole file (it may start at any offset of its `ArrayBuffer`)
 * @throws PthArgumentError when `options.ema` is not a boolean
 * @throws PthError when the file is not a PyTorch checkpoint, is truncated or malformed anywhere, declares
 *   absurd sizes, has a storage shorter than its tensors or a missing zip entry; no tensor is then returned
 */
export function readPth(bytes: Uint8Array, options: ReadPthOptions = {}): PthContents {
  const source = options.source ?? 'checkpoint.pth';
  if (options.ema !== undefined && typeof options.ema !== 'boolean') {
    throw new PthArgumentError('options.ema', 'true or false', JSON.stringify(options.ema) ?? typeof options.ema);
  }
  const archive = openArchive(bytes, source);
  const references = selectStateDict(archive.root, { ema: options.ema ?? false, source });
  const maxBytes = Math.max(archive.storageBytes, bytes.length);
  const tensors: [string, PthTensor][] = [];
  for (const [name, reference] of references) {
    tensors.push([name, materializeTensor(name, reference, archive.storage(reference.storage), source, maxBytes)]);
  }
  const metadata: Record<string, string> = {};
  if (archive.root instanceof Map) {
    for (const key of ['arch', 'epoch']) {
      const value = archive.root.get(key);
      if (typeof value === 'string' || typeof value === 'number') metadata[key] = String(value);
    }
  }
  // fromEntries defines own properties, so a tensor named "__proto__" is stored like any other.
  return { tensors: Object.fromEntries(tensors), format: archive.format, metadata };
}

function openArchive(bytes: Uint8Array, source: string): PthArchive {
  if (looksLikeZip(bytes)) return openZipPth(bytes, source);
  if (looksLikeLegacyPth(bytes)) return openLegacyPth(bytes, source);
  throw new PthError(source, `not a PyTorch checkpoint: ${whatItIs(bytes)}, expected a zip archive or PyTorch's legacy format`);
}

function whatItIs(bytes: Uint8Array): string {
  if (bytes.length === 0) return 'the file is empty';
  if (bytes.length >= 9 && bytes[8] === 0x7b && bytes[5] === 0 && bytes[6] === 0 && bytes[7] === 0) return 'it looks like a safetensors file';
  const head = [...bytes.subarray(0, 4)].map((byte) => byte.toString(16).padStart(2, '0')).join(' ');
  return `it starts with bytes ${head}`;
}
