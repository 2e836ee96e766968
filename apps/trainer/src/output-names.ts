import { basename, extname, join } from 'node:path';

import { formatFromExtension, type ImageFormat } from '@edet/data';

import type { InputFiles } from './output-files.js';

/**
 * Chooses where each annotated image goes: `<directory>/<input file name>`, so the output keeps the input's
 * extension and hence its format. A name without a PNG/JPEG extension gets one for its real format, and a
 * name already taken in this run (same file name from two folders), or that is one of the command's input
 * files (`--out .` next to the images), gets `-2`, `-3`, ... before the extension.
 */
export class OutputNames {
  private readonly taken = new Set<string>();

  /**
   * @param directory the output folder, as the user wrote it (the paths returned start with it)
   * @param inputs the command's input files, never chosen as an output
   */
  constructor(
    private readonly directory: string,
    private readonly inputs?: InputFiles,
  ) {}

  /** The output path and format for one input image. */
  next(input: string, decodedFormat: ImageFormat): { path: string; format: ImageFormat } {
    let name = basename(input);
    let format = formatFromExtension(name);
    if (format === undefined) {
      format = decodedFormat;
      name = `${name}.${format === 'png' ? 'png' : 'jpg'}`;
    }
    const extension = extname(name);
    const stem = name.slice(0, name.length - extension.length);
    let candidate = name;
    const unusable = (file: string) => this.taken.has(file.toLowerCase()) || this.inputs?.inputAt(join(this.directory, file)) !== undefined;
    for (let copy = 2; unusable(candidate); copy++) candidate = `${stem}-${copy}${extension}`;
    this.taken.add(candidate.toLowerCase());
    return { path: join(this.directory, candidate), format };
  }
}
