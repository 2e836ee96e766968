import { basename, extname, join } from 'node:path';

import { formatFromExtension, type ImageFormat } from '@edet/data';

/**
 * Chooses where each annotated image goes: `<directory>/<input file name>`, so the output keeps the input's
 * extension and hence its format. A name without a PNG/JPEG extension gets one for its real format, and a
 * name already taken in this run (same file name from two folders) gets `-2`, `-3`, ... before the extension.
 */
export class OutputNames {
  private readonly taken = new Set<string>();

  constructor(private readonly directory: string) {}

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
    for (let copy = 2; this.taken.has(candidate.toLowerCase()); copy++) candidate = `${stem}-${copy}${extension}`;
    this.taken.add(candidate.toLowerCase());
    return { path: join(this.directory, candidate), format };
  }
}
