// `--size` takes any positive side or HEIGHTxWIDTH on detect, eval and bench (the model rounds feature maps
// up); training keeps its sides to multiples of 128 and squares.
import { join } from 'node:path';

import { CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';

import { CliError } from '../src/errors.js';
import { chooseModel } from '../src/model.js';
import { SAMPLES_DIRECTORY } from '../src/samples.js';
import { runProgram } from './support/run-program.js';
import { temporaryFolder } from './train-fixtures.js';

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

  it('train refuses non-square sizes and sides that are no multiple of 128, before reading anything', async () => {
    const square = await runProgram(['train', '--size', '384x640', '--data', temporaryFolder()]);
    expect(square.error).toBeInstanceOf(CliError);
    expect(String(square.error)).toMatch(/--size 384x640: non-square training sizes need a data pipeline that places images in a height x width frame/);
    const odd = await runProgram(['train', '--size', '384x600']);
    expect(odd.error).toBeInstanceOf(CommanderError);
    expect(odd.err).toMatch(/argument '384x600' is invalid\. expected sides that are multiples of 128/);
  });
});
