// Each published package, packed as it would be published and installed alone into an empty npm project,
// works in plain Node ESM (see tooling/scripts/check-standalone.mjs). Needs the built packages and the npm
// registry (for @tensorflow/tfjs-core).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import { expect, it } from 'vitest';

it('every package works when installed alone', () => {
  const script = fileURLToPath(new URL('../scripts/check-standalone.mjs', import.meta.url));
  const result = spawnSync(process.execPath, [script], { encoding: 'utf8', timeout: 600_000 });
  const report = `${result.stdout}\n${result.stderr}`;
  expect(report).not.toMatch(/FAILED/);
  expect(result.status, report).toBe(0);
  expect(report.match(/^ok @edet\//gm)).toHaveLength(10);
}, 600_000);
