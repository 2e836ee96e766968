import type { DetectionDataset } from '@edet/data';
import { DataError } from '@edet/data';
import { displayPath, readImageHeader } from '@edet/data/node';

/** Files read at once: enough to hide disk latency, few enough for any file-descriptor limit. */
const PARALLEL_READS = 16;
/** Bad files named in the error; the count says how many more. */
const NAMED = 5;

/**
 * Checks, before the first step, that every image of the splits is a JPEG or PNG with a readable header and
 * a non-zero size (reading headers only, not pixels), so a bad file stops the run at once instead of in the
 * middle of an epoch.
 * @throws DataError naming the bad files (the first few, and how many in all) and what is wrong with each
 */
export async function checkDatasetImages(datasets: readonly DetectionDataset[]): Promise<void> {
  const problems: string[] = [];
  let total = 0;
  for (const dataset of datasets) {
    const files = dataset.samples.map((sample) => sample.file);
    total += files.length;
    for (let start = 0; start < files.length; start += PARALLEL_READS) {
      const batch = files.slice(start, start + PARALLEL_READS);
      const headers = await Promise.all(batch.map((file) => readImageHeader(file)));
      headers.forEach((header, i) => {
        if (typeof header === 'string') problems.push(`${displayPath(batch[i])} (${header})`);
      });
    }
  }
  if (problems.length === 0) return;
  const more = problems.length > NAMED ? `, and ${problems.length - NAMED} more` : '';
  throw new DataError(
    `${problems.length} of ${total} dataset images cannot be used: ${problems.slice(0, NAMED).join('; ')}${more}; fix or remove them (and their annotations) before training`,
  );
}
