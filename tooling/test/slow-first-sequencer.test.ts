import { existsSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';
import type { TestSpecification } from 'vitest/node';

import { SLOW_FILES, SlowFirstSequencer } from './slow-first-sequencer.js';

const root = join(import.meta.dirname, '..', '..');

describe('SlowFirstSequencer', () => {
  it('lists only test files that exist', () => {
    for (const file of SLOW_FILES) expect(existsSync(join(root, file)), file).toBe(true);
  });

  it('starts the listed files first, in their order, and keeps the order of the rest', async () => {
    const project = { name: '', config: { root, sequence: { groupOrder: 0 }, isolate: true } };
    const spec = (file: string) => ({ moduleId: join(root, file), project }) as unknown as TestSpecification;
    const files = ['packages/a.test.ts', SLOW_FILES[2], 'packages/b.test.ts', SLOW_FILES[0]].map(spec);
    const cache = { getFileTestResults: () => undefined, getFileStats: () => undefined };
    const sequencer = new SlowFirstSequencer({ cache, config: { root } } as never);
    const sorted = await sequencer.sort(files);
    expect(sorted.map((s) => s.moduleId)).toEqual([SLOW_FILES[0], SLOW_FILES[2], 'packages/a.test.ts', 'packages/b.test.ts'].map((f) => join(root, f)));
  });
});
