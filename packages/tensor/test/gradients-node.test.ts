// Runs test/fixtures/gradients-node.mjs in plain Node against the BUILT package: the gradients must register
// themselves when dist/index.js is imported (no vitest aliasing, no bundler). Builds @edet/tensor first
// when dist is missing or older than src.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const packageDir = resolve(import.meta.dirname, '..');
const repoRoot = resolve(packageDir, '../..');
const built = join(packageDir, 'dist', 'index.js');
const fixture = join(packageDir, 'test', 'fixtures', 'gradients-node.mjs');

/** The newest modification time of any file under `dir`. */
function newestMtime(dir: string): number {
  return readdirSync(dir, { withFileTypes: true }).reduce((newest, entry) => {
    const path = join(dir, entry.name);
    const time = entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs;
    return Math.max(newest, time);
  }, 0);
}

beforeAll(() => {
  if (existsSync(built) && statSync(built).mtimeMs >= newestMtime(join(packageDir, 'src'))) return;
  const build = spawnSync('npx', ['pnpm@10.34.8', '--filter', '@edet/tensor', 'build'], {
    cwd: repoRoot,
    encoding: 'utf8',
  });
  if (build.status !== 0) throw new Error(`building @edet/tensor failed:\n${build.stdout}\n${build.stderr}`);
}, 180_000);

describe('gradients in plain Node (built package)', () => {
  it('trains a conv -> batch-norm -> sigmoid net with tf.variableGrads and an optimizer', () => {
    const backend = process.env.EDET_TEST_BACKEND ?? 'wasm';
    const run = spawnSync(process.execPath, [fixture], {
      cwd: packageDir,
      encoding: 'utf8',
      env: { ...process.env, EDET_TEST_BACKEND: backend },
      timeout: 60_000,
    });
    const lastLine = run.stdout.trim().split('\n').at(-1) ?? '';
    expect(run.status, `fixture failed:\n${run.stdout}\n${run.stderr}`).toBe(0);
    const result = JSON.parse(lastLine) as { backend: string; problems: string[]; norms: Record<string, number> };
    expect(result.backend).toBe(backend);
    expect(result.problems).toEqual([]);
    expect(Object.keys(result.norms)).toContain('stem.weight');
  });
});
