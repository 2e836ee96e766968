// `npm pack` would copy `workspace:*` ranges into a tarball that cannot be installed, so every published
// package's prepack refuses it (the release path is pnpm's, which the standalone check exercises).
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { expect, it } from 'vitest';

const packages = fileURLToPath(new URL('../../packages', import.meta.url));

it('every package refuses npm pack with a message that names the way to pack', () => {
  for (const dir of readdirSync(packages)) {
    const manifest = JSON.parse(readFileSync(`${packages}/${dir}/package.json`, 'utf8'));
    expect(manifest.scripts?.prepack, dir).toBe('node ../../tooling/scripts/refuse-npm-pack.mjs');
  }
  const result = spawnSync('npm', ['pack', '--dry-run'], { cwd: `${packages}/anchors`, encoding: 'utf8' });
  expect(result.status).not.toBe(0);
  expect(result.stderr).toMatch(/refusing to pack @edet\/anchors with npm: .*workspace:\* dependencies.*pnpm/s);
});
