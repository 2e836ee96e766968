import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { decodeImage } from '@edet/data/node';
import { beforeAll, describe, expect, it } from 'vitest';

import { readInputFile } from '../src/files.js';
import { SAMPLES_DIRECTORY } from '../src/samples.js';

// These tests run the BUILT command line, as a user would, in a scratch folder. Each detect run costs a
// process start plus ~1-2 s per D0 forward on wasm, so there are few of them.

const appRoot = dirname(dirname(fileURLToPath(import.meta.url)));
const repositoryRoot = dirname(dirname(appRoot));
const cli = join(appRoot, 'dist', 'cli.js');

beforeAll(() => {
  if (existsSync(cli) && existsSync(join(repositoryRoot, 'packages', 'model', 'dist', 'index.js'))) return;
  const build = spawnSync('npx', ['pnpm@10.34.8', '--filter', '@edet/trainer...', 'build'], {
    cwd: repositoryRoot,
    encoding: 'utf8',
  });
  if (build.status !== 0) throw new Error(`building the CLI failed:\n${build.stdout}\n${build.stderr}`);
}, 300_000);

/** Runs `edet ...args` in a fresh folder. */
function edet(args: string[], cwd = mkdtempSync(join(tmpdir(), 'edet-cli-'))) {
  const result = spawnSync(process.execPath, [cli, ...args], { cwd, encoding: 'utf8', env: { ...process.env, EDET_DEBUG: '' } });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr, cwd };
}

/** Asserts a failed run: non-zero exit, and stderr is exactly one `edet: ` line. */
function expectOneLineFailure(result: ReturnType<typeof edet>, message: string | RegExp) {
  expect(result.status).not.toBe(0);
  expect(result.stdout).toBe('');
  const lines = result.stderr.split('\n').filter((line) => line !== '');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^edet: /);
  expect(lines[0]).toMatch(message);
}

const BCCD_LABELS = ['RBC', 'WBC', 'Platelets'];
const SCOPE_LINE =
  'edet: note: EfficientDet-D0 BCCD knows only RBC, WBC and Platelets (trained on BCCD train split (292 images), ' +
  'apps/trainer/assets/bccd): on images of anything else its boxes mean nothing. Load weights trained for your objects to detect them.';

describe('edet detect (built CLI)', () => {
  it('runs the bundled BCCD model on the bundled samples by default: JSON on stdout, annotated files in out/', async () => {
    const result = edet(['detect', '--json']);
    expect(result.status, result.stderr).toBe(0);
    // Trained weights: no untrained-weights notice; one plain line on what the model knows (a sample is a
    // photo of giraffes), then progress, all on stderr.
    const [scope, ...progress] = result.stderr.split('\n').filter(Boolean);
    expect(scope).toBe(SCOPE_LINE);
    expect(progress.every((line) => line.startsWith('annotated: '))).toBe(true);

    const report = JSON.parse(result.stdout) as { image: string; detections: { box: number[]; score: number; classId: number; label: string }[] }[];
    const samples = readdirSync(SAMPLES_DIRECTORY).filter((name) => /\.(jpe?g|png)$/i.test(name)).sort();
    expect(report.map((entry) => entry.image.split('/').pop())).toEqual(samples);
    for (const entry of report) {
      const { image } = await decodeImage(await readInputFile(entry.image), entry.image);
      for (const detection of entry.detections) {
        expect(Object.keys(detection).sort()).toEqual(['box', 'classId', 'label', 'score']);
        expect(detection.label).toBe(BCCD_LABELS[detection.classId]);
        const [x1, y1, x2, y2] = detection.box;
        expect(0 <= x1 && x1 <= x2 && x2 <= image.width).toBe(true);
        expect(0 <= y1 && y1 <= y2 && y2 <= image.height).toBe(true);
        expect(detection.score).toBeGreaterThan(0.2);
        expect(detection.score).toBeLessThanOrEqual(1);
      }
    }
    expect(readdirSync(join(result.cwd, 'out')).sort()).toEqual(samples);
  });

  it('prints a table for a named image and keeps the JPEG extension', () => {
    const image = join(SAMPLES_DIRECTORY, 'BloodImage_00004.jpg');
    // A threshold low enough that any weights give table rows.
    const result = edet(['detect', image, '--score-threshold', '0.001', '--max-detections', '5', '--out', 'annotated']);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stderr).toBe(`${SCOPE_LINE}\n`);
    expect(result.stdout).toMatch(/^backend: wasm \(\d+ threads?\), model: efficientdet-d0, 3 classes, weights: .+ \(bundled\)$/m);
    expect(result.stdout).toContain(`${image}: 5 detections`);
    const rows = result.stdout.split('\n').filter((line) => /^│ +\d+ │/.test(line));
    expect(rows).toHaveLength(5);
    for (const row of rows) expect(BCCD_LABELS).toContain(row.split('│')[2].trim());
    expect(result.stdout).toMatch(/annotated: annotated\/BloodImage_00004\.jpg/);
    expect(readdirSync(join(result.cwd, 'annotated'))).toEqual(['BloodImage_00004.jpg']);
  });

  it('detects the same to the bit on 1 and 3 wasm threads, and says how many it ran on', () => {
    const image = join(SAMPLES_DIRECTORY, 'BloodImage_00004.jpg');
    const [one, three] = ['1', '3'].map((threads) => edet(['detect', image, '--json', '--score-threshold', '0.001', '--threads', threads, '--out', 'o']));
    for (const result of [one, three]) expect(result.status, result.stderr).toBe(0);
    expect(JSON.parse(three.stdout)[0].detections.length).toBeGreaterThan(10);
    expect(three.stdout).toBe(one.stdout);
    const bench = edet(['bench', '--backend', 'wasm', '--size', '64', '--runs', '1', '--warmup', '0', '--threads', '2', '--json']);
    expect(bench.status, bench.stderr).toBe(0);
    expect(JSON.parse(bench.stdout)).toMatchObject({ backend: 'wasm', threads: 2 });
  });

  it('keeps the untrained COCO model reachable: --classes coco90 without --weights, with its notice', () => {
    const image = join(SAMPLES_DIRECTORY, '000000000136.jpg');
    const result = edet(['detect', image, '--classes', 'coco90', '--score-threshold', '0.005', '--max-detections', '3', '--json']);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/^edet: note: no --weights given and the bundled model .* has other classes .*untrained weights \(seed 42\).*meaningless/m);
    const [entry] = JSON.parse(result.stdout) as { detections: { score: number }[] }[];
    expect(entry.detections).toHaveLength(3);
    for (const { score } of entry.detections) expect(score).toBeLessThan(0.02);
  });

  it('fails in one line for a missing file', () => {
    expectOneLineFailure(edet(['detect', 'no-such-image.jpg']), /^edet: no-such-image\.jpg: no such file$/);
  });

  it('fails in one line for a text file passed as an image', () => {
    const folder = mkdtempSync(join(tmpdir(), 'edet-cli-'));
    writeFileSync(join(folder, 'notes.jpg'), 'these are not pixels\n');
    expectOneLineFailure(edet(['detect', 'notes.jpg'], folder), /^edet: notes\.jpg: not a JPEG or PNG image$/);
  });

  it('fails in one line for a corrupt weights file', () => {
    const folder = mkdtempSync(join(tmpdir(), 'edet-cli-'));
    writeFileSync(join(folder, 'broken.safetensors'), new Uint8Array([200, 0, 0, 0, 0, 0, 0, 0, 123, 34]));
    const result = edet(['detect', join(SAMPLES_DIRECTORY, '000000000136.jpg'), '--weights', 'broken.safetensors'], folder);
    expectOneLineFailure(result, /^edet: broken\.safetensors: /);
  });

  it('fails in one line for a bad option value', () => {
    expectOneLineFailure(edet(['detect', '--iou-threshold', 'high']), /argument 'high' is invalid/);
    expectOneLineFailure(edet(['bench', '--size', '100x']), /^edet: .*expected a positive side \(512\) or HEIGHTxWIDTH \(384x640\)/);
  });
});
