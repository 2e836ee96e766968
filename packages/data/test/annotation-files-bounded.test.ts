// Annotation files are read only when they are regular files of a sane size: `/dev/zero` or a pipe named as a
// COCO JSON, a VOC XML or a VOC split file fails at once, naming the file, instead of reading without end.
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { loadCocoDataset, loadVocDataset } from '@edet/data/node';
import { describe, expect, it } from 'vitest';

import { temporaryFolder, tinyCocoDataset } from './support/datasets.js';
import { readBoundedTextSync } from '../src/node/read-bounded-text.js';

describe('annotation files', () => {
  it('a COCO annotation file that is /dev/zero is refused by name', () => {
    const root = tinyCocoDataset(1, 0);
    const file = join(root, 'instances_train.json');
    rmSync(file);
    symlinkSync('/dev/zero', file);
    // Not a regular file, so not taken for the split's annotations at all.
    expect(() => loadCocoDataset(root, 'train')).toThrow(/no COCO instances/);
  });

  it('a VOC annotation or split file that is /dev/zero is refused by name', () => {
    const root = temporaryFolder();
    mkdirSync(join(root, 'Annotations'));
    mkdirSync(join(root, 'JPEGImages'));
    symlinkSync('/dev/zero', join(root, 'Annotations', 'a.xml'));
    expect(() => loadVocDataset(root, 'train')).toThrow(/a\.xml.*not a regular file/);
  });

  it('reads a regular file whole and refuses a larger one, a folder and a missing file', () => {
    const folder = temporaryFolder();
    const file = join(folder, 'small.json');
    writeFileSync(file, '{"a": "é"}');
    expect(readBoundedTextSync(file, 100, 'file')).toBe('{"a": "é"}');
    expect(() => readBoundedTextSync(file, 5, 'COCO annotation file')).toThrow(/small\.json: is 11 bytes; the largest COCO annotation file read is 5 bytes/);
    expect(() => readBoundedTextSync(folder, 100, 'file')).toThrow(/is a directory/);
    expect(() => readBoundedTextSync(join(folder, 'none.json'), 100, 'file')).toThrow(/none\.json: no such file/);
  });
});
