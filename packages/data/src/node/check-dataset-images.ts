import type { Sample } from '../dataset.js';
import { DataError, DataFileError } from '../errors.js';
import { inspectImage, MAX_IMAGE_PIXELS } from '../image-header.js';
import { MAX_IMAGE_FILE_BYTES, readBoundedFile } from './read-bounded-file.js';
import { declaredSizeMismatch } from './read-image-file.js';

/** One image of a dataset that would fail when read. */
export interface ImageProblem {
  /** The image file. */
  file: string;
  /** The dataset's id of the image. */
  imageId: number;
  /** What is wrong, in words (`truncated JPEG: ...`, `is 640x480 pixels, but the annotations ... say 320x240`). */
  problem: string;
}

/** The images to check: a `DetectionDataset` (a loaded split), or any list of files with their declared sizes. */
export interface ImageCheckSplit {
  split: string;
  samples: readonly Pick<Sample, 'file' | 'name' | 'imageId' | 'width' | 'height'>[];
}

/** Options of `findImageProblems` and `checkDatasetImages`. */
export interface ImageCheckOptions {
  /** The most pixels per image (default `MAX_IMAGE_PIXELS`). */
  maxPixels?: number;
  /** Stop after this many problems (default: all). */
  limit?: number;
}

/**
 * Checks every image of a split without decoding it: the file is readable, a regular file of at most
 * `MAX_IMAGE_FILE_BYTES`, a whole JPEG or PNG (`inspectImage`: no truncation, good PNG CRCs), within
 * `maxPixels`, and of the size the annotations declare. About a millisecond per image, so a training run
 * can find a bad image before its first epoch instead of in the middle of one.
 * @returns the problems found, in sample order (empty when every image is good)
 */
export async function findImageProblems(dataset: ImageCheckSplit, options: ImageCheckOptions = {}): Promise<ImageProblem[]> {
  const maxPixels = options.maxPixels ?? MAX_IMAGE_PIXELS;
  const limit = options.limit ?? Infinity;
  const problems: ImageProblem[] = [];
  for (const sample of dataset.samples) {
    if (problems.length >= limit) break;
    const report = (problem: string) => problems.push({ file: sample.file, imageId: sample.imageId, problem });
    let bytes: Uint8Array;
    try {
      bytes = await readBoundedFile(sample.file, { maxBytes: MAX_IMAGE_FILE_BYTES, what: 'image' });
    } catch (error) {
      report(error instanceof DataFileError ? error.problem : String(error));
      continue;
    }
    const header = inspectImage(bytes);
    if ('problem' in header) {
      report(header.problem);
    } else if (header.width * header.height > maxPixels) {
      report(`is ${header.width}x${header.height} pixels; the most decoded is ${maxPixels} pixels`);
    } else {
      const mismatch = declaredSizeMismatch(sample, header.width, header.height);
      if (mismatch !== undefined) report(mismatch);
    }
  }
  return problems;
}

/**
 * `findImageProblems`, as one error: resolves when every image of the split is good.
 * @throws DataError naming how many images are bad and the first three with their problems
 */
export async function checkDatasetImages(dataset: ImageCheckSplit, options: ImageCheckOptions = {}): Promise<void> {
  const problems = await findImageProblems(dataset, options);
  if (problems.length === 0) return;
  const shown = problems.slice(0, 3).map(({ file, problem }) => `${file}: ${problem}`);
  throw new DataError(
    `${problems.length} of ${dataset.samples.length} images of the "${dataset.split}" split cannot be used (${shown.join('; ')}${problems.length > 3 ? '; ...' : ''})`,
  );
}
