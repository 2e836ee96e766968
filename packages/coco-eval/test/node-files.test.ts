import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { CocoFileError } from '@edet/coco-eval';
import { openDatasetFolder, readCocoDataset, readCocoDetections } from '@edet/coco-eval/node';

// The Node entry: reading files, with errors that name the file (Node only: it reads files).

const directory = mkdtempSync(join(tmpdir(), 'edet-coco-eval-'));
const write = (name: string, text: string) => {
  writeFileSync(join(directory, name), text);
  return join(directory, name);
};

describe('@edet/coco-eval/node', () => {
  it('reads a ground-truth file (with a byte-order mark) and a results file', async () => {
    const gt = write('gt.json', '\uFEFF{"images":[{"id":1}],"categories":[{"id":1,"name":"a"}],"annotations":[]}');
    const dets = write('dets.json', '[{"image_id":1,"category_id":1,"bbox":[0,0,1,1],"score":0.5}]');
    expect((await readCocoDataset(gt)).images).toEqual([{ id: 1 }]);
    expect(await readCocoDetections(dets)).toHaveLength(1);
  });

  it('names the file and the problem', async () => {
    await expect(readCocoDataset(join(directory, 'missing.json'))).rejects.toThrow(CocoFileError);
    await expect(readCocoDataset(join(directory, 'missing.json'))).rejects.toThrow(/missing\.json: no such file/);
    await expect(readCocoDataset(write('bad.json', '{'))).rejects.toThrow(/bad\.json: invalid JSON/);
    await expect(readCocoDetections(write('wrong.json', '[{"image_id":1}]'))).rejects.toThrow(/wrong\.json: detections\[0\]\.category_id/);
  });

  it('opens a dataset folder and checks that its images exist', async () => {
    mkdirSync(join(directory, 'images'), { recursive: true });
    writeFileSync(join(directory, 'images', 'a.jpg'), '');
    write('instances_val.json', '{"images":[{"id":1,"file_name":"a.jpg"}],"categories":[{"id":1,"name":"a"}],"annotations":[]}');
    const folder = await openDatasetFolder(directory, 'val');
    expect(folder.imageFiles).toEqual([join(directory, 'images', 'a.jpg')]);
    write('instances_test.json', '{"images":[{"id":1,"file_name":"b.jpg"}],"categories":[{"id":1,"name":"a"}],"annotations":[]}');
    await expect(openDatasetFolder(directory, 'test')).rejects.toThrow(/b\.jpg: no such file/);
  });
});
