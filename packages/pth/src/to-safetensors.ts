import type { PthTensor } from './materialize.js';
import { type ReadPthOptions, readPth } from './read.js';

/**
 * Lays tensors out as a safetensors file, each in its own dtype, bytes copied as they are (so a `.pth`
 * converts bit for bit): the compact JSON header, `__metadata__` first, padded with spaces to a multiple of 8.
 * @param metadata string metadata for `__metadata__` (omitted when empty)
 */
export function encodeSafetensors(tensors: Record<string, PthTensor>, metadata: Record<string, string> = {}): Uint8Array {
  const parts: string[] = [];
  const pairs = Object.entries(metadata).map(([key, value]) => `${JSON.stringify(key)}:${JSON.stringify(value)}`);
  if (pairs.length > 0) parts.push(`"__metadata__":{${pairs.join(',')}}`);
  let length = 0;
  for (const [name, tensor] of Object.entries(tensors)) {
    const begin = length;
    length += tensor.data.length;
    parts.push(`${JSON.stringify(name)}:${JSON.stringify({ dtype: tensor.dtype, shape: tensor.shape, data_offsets: [begin, length] })}`);
  }
  const json = new TextEncoder().encode(`{${parts.join(',')}}`);
  const headerLength = Math.ceil(json.length / 8) * 8;
  const dataStart = 8 + headerLength;
  const output = new Uint8Array(dataStart + length);
  const view = new DataView(output.buffer);
  view.setUint32(0, headerLength % 2 ** 32, true);
  view.setUint32(4, Math.floor(headerLength / 2 ** 32), true);
  output.set(json, 8);
  output.fill(0x20, 8 + json.length, dataStart);
  let offset = dataStart;
  for (const tensor of Object.values(tensors)) {
    output.set(tensor.data, offset);
    offset += tensor.data.length;
  }
  return output;
}

/** Options of `pthToSafetensors`. */
export interface PthToSafetensorsOptions extends ReadPthOptions {
  /** Metadata to write, on top of `format: 'pt'` and the checkpoint's `arch` / `epoch`. */
  metadata?: Record<string, string>;
}

/**
 * Converts a PyTorch checkpoint's bytes to a safetensors file's bytes, every tensor bit for bit in its own
 * dtype (`num_batches_tracked` included): what `edet convert` writes and how `.pth` weights load.
 * @throws PthError as `readPth` does
 */
export function pthToSafetensors(bytes: Uint8Array, options: PthToSafetensorsOptions = {}): Uint8Array {
  const { tensors, metadata } = readPth(bytes, options);
  return encodeSafetensors(tensors, { format: 'pt', ...metadata, ...options.metadata });
}
