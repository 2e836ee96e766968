// `--size` takes any positive side or HEIGHTxWIDTH on detect, eval and bench (the model rounds feature maps
// up); training takes HEIGHTxWIDTH too, with sides that are multiples of 128.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { parseSafetensors } from '@edet/safetensors';
import { CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';

import { chooseModel } from '../src/model.js';
import { SAMPLES_DIRECTORY } from '../src/samples.js';
import { runProgram } from './support/run-program.js';
import { temporaryFolder, tinyCocoDataset } from './train-fixtures.js';

describe('--size', () => {
  it('detect runs the bundled model at a side that is no multiple of 128, and at HEIGHTxWIDTH', async () => {
    const out = temporaryFolder();
    const image = join(SAMPLES_DIRECTORY, 'BloodImage_00000.jpg');
    for (const size of ['200', '192x320']) {
      const run = await runProgram(['detect', image, '--size', size, '--json', '--max-detections', '5', '--out', out]);
      expect(run.error, size).toBeUndefined();
      const [report] = JSON.parse(run.out) as { detections: { box: number[] }[] }[];
      expect(report.detections.length, size).toBeGreaterThan(0);
    }
    expect((await chooseModel({ inputSize: [384, 640] })).inputSize).toEqual([384, 640]);
  });

  it('bench times HEIGHTxWIDTH inputs and reports the size as [height, width]', async () => {
    const run = await runProgram(['bench', '--size', '96x160', '--runs', '1', '--warmup', '0', '--backend', 'wasm', '--json']);
    expect(run.error).toBeUndefined();
    expect(JSON.parse(run.out)).toMatchObject({ backend: 'wasm', coef: 0, size: [96, 160], runs: 1 });
  });

  it('train takes HEIGHTxWIDTH, and the weights record it; a side must be a positive integer', async () => {
    const out = temporaryFolder();
    const run = await runProgram([
      'train', '--model', 'tf_efficientdet_lite0', '--size', '128x256', '--data', tinyCocoDataset(1, 0), '--batch', '1', '--workers', '1',
      '--max-steps', '1', '--no-augment', '--seed', '1', '--out', out,
    ]);
    expect(run.error).toBeUndefined();
    expect(run.err).toMatch(/^model: tf_efficientdet_lite0 128x256, /m);
    expect(parseSafetensors(readFileSync(join(out, 'weights.safetensors'))).header.metadata).toMatchObject({ model: 'tf_efficientdet_lite0', input_size: '128x256' });
    const odd = await runProgram(['train', '--size', '384x0']);
    expect(odd.error).toBeInstanceOf(CommanderError);
    expect(odd.err).toMatch(/argument '384x0' is invalid\. expected a positive side \(512\) or HEIGHTxWIDTH \(384x640\)/);
  });
});
