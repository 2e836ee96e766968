import type { DetectionDataset } from '@edet/data';
import { checkDatasetImages as checkSplitImages } from '@edet/data/node';

/**
 * Checks, before the first step, every image of the splits without decoding it (`checkDatasetImages` of
 * `@edet/data/node`: a readable regular file, a whole JPEG or PNG, within the pixel limit, of the size its
 * annotations declare), so a bad file stops the run at once instead of in the middle of an epoch.
 * @throws DataError naming the split, how many images are bad and the first few with their problems
 */
export async function checkDatasetImages(datasets: readonly DetectionDataset[]): Promise<void> {
  for (const dataset of datasets) await checkSplitImages(dataset);
}
