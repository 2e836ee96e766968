// tfjs's threaded wasm build in Node (`wasmNode` of @edet/model/backends/wasm-node), in child processes:
// tfjs loads its wasm module once per process, so each thread count needs its own. The child
// (test/fixtures/wasm-node-threads.mjs) imports the BUILT package; it is built first when older than src.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '@edet/tensor';

import { wasmNode } from '../src/backends/wasm-node.js';

const packageDir = resolve(import.meta.dirname, '..');
const built = join(packageDir, 'dist', 'backends', 'wasm-node.js');
const fixture = join(packageDir, 'test', 'fixtures', 'wasm-node-threads.mjs');

const newestMtime = (dir: string): number =>
  readdirSync(dir, { withFileTypes: true }).reduce((newest, entry) => {
    const path = join(dir, entry.name);
    return Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }, 0);

beforeAll(() => {
  if (existsSync(built) && statSync(built).mtimeMs >= newestMtime(join(packageDir, 'src'))) return;
  const build = spawnSync('npx', ['pnpm@10.34.8', '--filter', '@edet/model...', 'build'], { cwd: resolve(packageDir, '../..'), encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`building @edet/model failed:\n${build.stdout}\n${build.stderr}`);
}, 300_000);

interface ChildReport {
  backend: string;
  threads: number;
  hash: string;
  tensors: number;
  restored: boolean;
}

function runChild(threads: string): ChildReport {
  const run = spawnSync(process.execPath, [fixture, threads], { cwd: packageDir, encoding: 'utf8', timeout: 60_000 });
  expect(run.status, `the child (${threads}) failed or did not exit:\n${run.stdout}\n${run.stderr}`).toBe(0);
  return JSON.parse(run.stdout.trim().split('\n').at(-1)!) as ChildReport;
}

describe('wasmNode: tfjs threaded wasm build in Node', () => {
  it('runs on the threads asked for, with outputs identical to the bit to the single-threaded build, and exits', () => {
    const plain = runChild('plain');
    expect(plain).toMatchObject({ backend: 'wasm', threads: 1, tensors: 0, restored: true });
    for (const threads of [1, 2, 3]) {
      const report = runChild(String(threads));
      expect(report).toEqual({ ...plain, threads });
    }
  });

  it('refuses a thread count that is not a whole number from 1, naming it', () => {
    for (const threads of [0, 1.5, Number.NaN]) {
      expect(() => wasmNode(threads)).toThrow(new InvalidArgumentError('threads', 'a whole number from 1', String(threads)));
    }
  });
});
