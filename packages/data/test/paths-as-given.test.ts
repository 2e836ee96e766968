import { isAbsolute, join, relative } from 'node:path';

import { describe, expect, it } from 'vitest';

import { loadDatasetSplits } from '../src/node/load.js';
import { BUNDLED_DATASET, temporaryFolder } from './support/datasets.js';

// Messages and sample paths name files as the user gave the dataset folder: absolute stays absolute,
// relative stays relative (they were once shortened to relative paths whenever that was shorter).

describe('dataset paths as given', () => {
  it('keeps an absolute dataset folder absolute, in samples and in messages', () => {
    const splits = loadDatasetSplits({ data: BUNDLED_DATASET, split: 'train' });
    expect(splits.root).toBe(BUNDLED_DATASET);
    expect(splits.train.samples.every((sample) => sample.file.startsWith(`${BUNDLED_DATASET}/`))).toBe(true);
    const missing = join(temporaryFolder(), 'none');
    expect(() => loadDatasetSplits({ data: missing, split: 'train' })).toThrow(`dataset ${missing} does not exist`);
    const empty = temporaryFolder();
    expect(() => loadDatasetSplits({ data: empty, split: 'train' })).toThrow(new RegExp(`^${empty}: not a dataset`));
  });

  it('keeps a relative dataset folder relative', () => {
    const given = relative(process.cwd(), BUNDLED_DATASET);
    expect(isAbsolute(given)).toBe(false);
    const splits = loadDatasetSplits({ data: given, split: 'train' });
    expect(splits.train.samples[0].file.startsWith(`${given}/`)).toBe(true);
    expect(() => loadDatasetSplits({ data: join(given, 'none'), split: 'train' })).toThrow(`dataset ${join(given, 'none')} does not exist`);
  });
});
