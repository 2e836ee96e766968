import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const sample = join(root, 'apps', 'trainer', 'assets', 'samples', 'BloodImage_00000.jpg');

/** The first ```js block of README.md's "The library" section: the example a new user copies first. */
function libraryExample(): string {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## The library\n'));
  const match = /```js\n([\s\S]*?)```/.exec(section);
  if (match === null) throw new Error('README.md: "The library" has no ```js block');
  return match[1];
}

describe("README's library example", () => {
  // Run as a user would: a plain Node ESM file importing the built packages (the apps' node_modules
  // stands in for an installed project's), on the README's image name pointed at the bundled sample.
  const folder = mkdtempSync(join(tmpdir(), 'edet-readme-'));
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  it('runs as written and prints labelled detections of the bundled model', () => {
    const code = libraryExample();
    expect(code).toContain("'BloodImage_00000.jpg'");
    writeFileSync(join(folder, 'example.mjs'), code.replace("'BloodImage_00000.jpg'", JSON.stringify(sample)));
    symlinkSync(join(root, 'apps', 'trainer', 'node_modules'), join(folder, 'node_modules'), 'dir');
    const result = spawnSync(process.execPath, ['example.mjs'], { cwd: folder, encoding: 'utf8', timeout: 60_000 });
    expect(result.status, result.stderr).toBe(0);
    const lines = result.stdout.trim().split('\n');
    // The bundled model finds a score of red cells on this image (24 detections at the CLI's 0.2).
    expect(lines.length).toBeGreaterThan(10);
    for (const line of lines) expect(line).toMatch(/^(RBC|WBC|Platelets) (0\.\d{3}|1\.000) -?\d+ -?\d+ -?\d+ -?\d+$/);
  }, 90_000);
});
