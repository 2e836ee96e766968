import { PthError, isPthFile, pthToSafetensors } from '@edet/pth';
import { FileFormatError } from '@edet/tensor';

import { readInputFile } from './files.js';

/** Options of `readWeightsBytes`. */
export interface ReadWeightsBytesOptions {
  /** From a PyTorch training checkpoint, take `state_dict_ema` instead of `state_dict`. */
  ema?: boolean;
  /** Metadata for the safetensors bytes a `.pth` file becomes (a safetensors file keeps its own). */
  metadata?: Record<string, string>;
}

/** A weights file's contents as safetensors bytes, and which format the file was in. */
export interface WeightsBytes {
  bytes: Uint8Array;
  format: 'safetensors' | 'pth';
}

/**
 * Reads a weights file as safetensors bytes, whatever it is: a safetensors file as it is, a PyTorch `.pth`
 * checkpoint (either of PyTorch's formats, recognised by its content, not its name) converted bit for bit by
 * `@edet/pth`. Every command that reads `--weights` comes through here.
 * @throws FileFormatError for a missing or unreadable file or a broken `.pth` (a broken safetensors file is
 *   reported when it is parsed); `--ema` on a safetensors file is a FileFormatError too
 */
export async function readWeightsBytes(file: string, options: ReadWeightsBytesOptions = {}): Promise<WeightsBytes> {
  const bytes = await readInputFile(file);
  if (!isPthFile(bytes)) {
    if (options.ema) throw new FileFormatError(file, 'EMA weights were asked for, but this is not a PyTorch training checkpoint (.pth)');
    return { bytes, format: 'safetensors' };
  }
  try {
    return { bytes: pthToSafetensors(bytes, { source: file, ema: options.ema ?? false, metadata: options.metadata }), format: 'pth' };
  } catch (error) {
    if (error instanceof PthError) throw new FileFormatError(error.file, error.problem);
    throw error;
  }
}
