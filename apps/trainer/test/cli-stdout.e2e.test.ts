import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { beforeAll, describe, expect, it } from 'vitest';

import { SAMPLES_DIRECTORY } from '../src/samples.js';

// The documented command forms, run as a user runs them (the built CLI, through pnpm and npm), with stdout
// parsed as JSON: banners, notices and progress must all go to stderr. Small inputs (`--size 128`) keep
// each run to a few seconds.

const appRoot = dirname(dirname(fileURLToPath(import.meta.url)));
const repositoryRoot = dirname(dirname(appRoot));
const cli = join(appRoot, 'dist', 'cli.js');
const image = join(SAMPLES_DIRECTORY, 'BloodImage_00000.jpg');

beforeAll(() => {
  if (existsSync(cli) && existsSync(join(repositoryRoot, 'packages', 'model', 'dist', 'index.js'))) return;
  const build = spawnSync('npx', ['pnpm@10.34.8', '--filter', '@edet/trainer...', 'build'], { cwd: repositoryRoot, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`building the CLI failed:\n${build.stdout}\n${build.stderr}`);
}, 300_000);

const scratch = () => mkdtempSync(join(tmpdir(), 'edet-stdout-'));
const env = { ...process.env, EDET_DEBUG: '' };

/** A COCO ground truth and results file pair for `eval --gt --dets`. */
function evalFiles(): { gt: string; dets: string } {
  const folder = scratch();
  const gt = join(folder, 'gt.json');
  const dets = join(folder, 'dets.json');
  writeFileSync(
    gt,
    JSON.stringify({
      images: [{ id: 1, width: 100, height: 100 }],
      annotations: [{ id: 1, image_id: 1, category_id: 1, bbox: [10, 10, 20, 20], area: 400, iscrowd: 0 }],
      categories: [{ id: 1, name: 'a' }],
    }),
  );
  writeFileSync(dets, JSON.stringify([{ image_id: 1, category_id: 1, bbox: [10, 10, 20, 20], score: 0.9 }]));
  return { gt, dets };
}

describe('--json stdout is JSON alone', () => {
  it('the documented `npx pnpm@10.34.8 --silent edet detect photo.jpg --json > detections.json`', () => {
    const out = scratch();
    const result = spawnSync('npx', ['--yes', 'pnpm@10.34.8', '--silent', 'edet', 'detect', image, '--json', '--size', '128', '--out', out], {
      cwd: repositoryRoot,
      encoding: 'utf8',
      env,
    });
    expect(result.status, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as { image: string }[];
    expect(report.map((entry) => entry.image)).toEqual([image]);
    expect(result.stderr).toContain(`annotated: ${join(out, 'BloodImage_00000.jpg')}`);
  }, 60_000);

  it('the documented `npm start --silent -- photo.jpg --json`: setup output goes to stderr', () => {
    // A stand-in `npx` for the setup steps (install, build: already done here) that prints to stdout as
    // they do; the bootstrap must keep it off stdout. The detect step runs the real built CLI.
    const bin = scratch();
    writeFileSync(join(bin, 'npx'), '#!/bin/sh\necho "setup step: $*"\n');
    chmodSync(join(bin, 'npx'), 0o755);
    const out = scratch();
    const result = spawnSync('npm', ['start', '--silent', '--', image, '--json', '--size', '128', '--out', out], {
      cwd: repositoryRoot,
      encoding: 'utf8',
      env: { ...env, PATH: `${bin}${delimiter}${process.env.PATH}` },
    });
    expect(result.status, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toHaveLength(1);
    expect(result.stderr).toContain('setup step: --yes pnpm@10.34.8 install --frozen-lockfile');
  }, 60_000);

  it('edet eval --json and edet bench --json print one JSON value on stdout', () => {
    const { gt, dets } = evalFiles();
    const evalRun = spawnSync(process.execPath, [cli, 'eval', '--gt', gt, '--dets', dets, '--json'], { encoding: 'utf8', env });
    expect(evalRun.status, evalRun.stderr).toBe(0);
    expect(JSON.parse(evalRun.stdout).stats).toHaveLength(12);
    const bench = spawnSync(process.execPath, [cli, 'bench', '--backend', 'wasm', '--size', '128', '--runs', '1', '--warmup', '0', '--json'], {
      encoding: 'utf8',
      env,
    });
    expect(bench.status, bench.stderr).toBe(0);
    expect(JSON.parse(bench.stdout)).toBeTypeOf('object');
  }, 60_000);
});

describe('a reader that goes away (`edet ... | head -1`)', () => {
  it('ends quietly: no stack trace, exit status 0', async () => {
    const { gt, dets } = evalFiles();
    const child = spawn(process.execPath, [cli, 'eval', '--gt', gt, '--dets', dets, '--json'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    // The reader closes before edet writes: its first write fails with EPIPE.
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => void (stderr += chunk.toString()));
    const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stderr).toBe('');
    expect(status).toBe(0);
  }, 30_000);
});
