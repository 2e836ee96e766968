import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { FileFormatError } from '@edet/tensor';
import { describe, expect, it } from 'vitest';

import { labeller, loadClassNames, parseClassNames } from '../src/classes.js';

describe('parseClassNames', () => {
  it('reads a JSON array of names', () => {
    expect(parseClassNames('["RBC", "WBC", "Platelets"]', 'bccd.json')).toEqual(['RBC', 'WBC', 'Platelets']);
    expect(parseClassNames('  \n ["a"]\n', 'x.json')).toEqual(['a']);
  });

  it('reads one name per line: CRLF, BOM and trailing blank lines are tolerated', () => {
    expect(parseClassNames('\uFEFFRBC\r\nWBC\r\nPlatelets\r\n\r\n', 'bccd.txt')).toEqual(['RBC', 'WBC', 'Platelets']);
    expect(parseClassNames('  red cell  \nwhite cell', 'x.txt')).toEqual(['red cell', 'white cell']);
  });

  it('keeps blank lines inside the list as unnamed ids, so line n stays class n-1', () => {
    expect(parseClassNames('person\n\ncar\n', 'x.txt')).toEqual(['person', '', 'car']);
  });

  it('rejects empty lists, bad JSON and non-string entries', () => {
    expect(() => parseClassNames('', 'empty.txt')).toThrow(new FileFormatError('empty.txt', 'the class list is empty'));
    expect(() => parseClassNames('\n\n', 'blank.txt')).toThrow('blank.txt: the class list is empty');
    expect(() => parseClassNames('[]', 'empty.json')).toThrow('empty.json: the class list is empty');
    expect(() => parseClassNames('["a",', 'bad.json')).toThrow(/^bad\.json: invalid JSON/);
    expect(() => parseClassNames('["a", 2]', 'mixed.json')).toThrow('mixed.json: expected a JSON array of class-name strings');
  });
});

describe('loadClassNames', () => {
  it('knows coco90', async () => {
    const names = await loadClassNames('coco90');
    expect(names).toHaveLength(90);
    expect(names[0]).toBe('person');
    expect(names[11]).toBe('');
  });

  it('reads a file, and names a missing one', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'edet-classes-'));
    const file = join(folder, 'bccd.txt');
    writeFileSync(file, 'RBC\nWBC\nPlatelets\n');
    expect(await loadClassNames(file)).toEqual(['RBC', 'WBC', 'Platelets']);
    await expect(loadClassNames(join(folder, 'missing.txt'))).rejects.toThrow(`${join(folder, 'missing.txt')}: no such file`);
  });
});

describe('labeller', () => {
  it('names unnamed and out-of-range ids by number', () => {
    const labelOf = labeller(['person', '']);
    expect([labelOf(0), labelOf(1), labelOf(5)]).toEqual(['person', 'class 1', 'class 5']);
  });
});
