// `edet train --model tf_efficientdet_lite0` trains an EfficientDet-Lite0 on a few BCCD images (cut from the
// bundled dataset), and its weights say what they are: `edet detect` and `edet eval` rebuild a Lite0 from
// them without being told. Evaluation is on the training images (as in packages/model/test/overfit-bccd),
// so AP > 0 shows that the run learned and that the weights come back as the network that learned them,
// not that the model generalises. Small on purpose: 2 images at Lite0's own 320x320, both in each step, 20
// steps.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { parseSafetensors } from '@edet/safetensors';
import { StateDictError } from '@edet/tensor';
import { describe, expect, it } from 'vitest';

import type { EvalReport } from '../src/format/eval-report.js';
import { runProgram } from './support/run-program.js';
import { temporaryFolder, tinyCocoDataset } from './train-fixtures.js';

describe('edet train --model tf_efficientdet_lite0', () => {
  it('learns a few BCCD images; detect, eval, --resume and --weights rebuild a Lite0 from what the run saved', async () => {
    const data = tinyCocoDataset(2, 0);
    const out = temporaryFolder();
    // A high learning rate and no augmentation, so that 20 steps are enough; one thread, so runs repeat.
    // --bn-momentum 0.2: at the default 0.01 batch norm's running statistics (which evaluation uses) would
    // still be mostly their initial values after 20 steps, and the evaluation would find nothing (AP 0 at
    // 0.01; at 0.2, AP 0.064 with seed 1 and 0.027 with seed 3 when written).
    const trained = await runProgram([
      'train', '--model', 'tf_efficientdet_lite0', '--data', data, '--batch', '2', '--workers', '1', '--bn-momentum', '0.2',
      '--epochs', '20', '--lr', '0.01', '--seed', '1', '--no-augment', '--eval-every', '0', '--out', out,
    ]);
    expect(trained.error).toBeUndefined();
    expect(trained.err).toMatch(/^model: tf_efficientdet_lite0 320x320, 3\.\d\dM parameters/m);

    // The loss falls: the last epoch's mean is a fifth of the first's or less.
    const epochs = readFileSync(join(out, 'log.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string; loss: number })
      .filter((record) => record.type === 'epoch');
    expect(epochs).toHaveLength(20);
    const [first, last] = [epochs[0].loss, epochs[epochs.length - 1].loss];
    expect(last, `epoch losses ${epochs.map((record) => record.loss.toFixed(2)).join(' ')}`).toBeLessThan(first / 5);

    const weights = join(out, 'weights.safetensors');
    expect(parseSafetensors(readFileSync(weights)).header.metadata).toMatchObject({ model: 'tf_efficientdet_lite0', compound_coef: '0', input_size: '320' });

    const detected = await runProgram(['detect', join(data, 'images', 'BloodImage_00000.jpg'), '--weights', weights, '--out', join(out, 'annotated')]);
    expect(detected.error).toBeUndefined();
    expect(detected.out).toMatch(/^backend: wasm \(\d+ threads?\), model: tf_efficientdet_lite0, 3 classes, weights: /m);
    // The compound_coef alone would have meant a D0, which these weights do not fit.
    const asD0 = await runProgram(['detect', join(data, 'images', 'BloodImage_00000.jpg'), '--weights', weights, '--coef', '0', '--out', join(out, 'annotated')]);
    expect(asD0.error).toBeInstanceOf(StateDictError);

    const evaluated = await runProgram(['eval', '--data', data, '--split', 'train', '--weights', weights, '--json']);
    expect(evaluated.error).toBeUndefined();
    expect(evaluated.err).toMatch(/model: tf_efficientdet_lite0, 3 classes/);
    const report = JSON.parse(evaluated.out) as EvalReport;
    expect(report.images).toBe(2);
    expect(report.stats[report.statNames.indexOf('AP')]).toBeGreaterThan(0);

    // The run resumes as a Lite0 (its checkpoint records the model), and --weights alone starts a Lite0 run.
    const resumed = await runProgram(['train', '--resume', out, '--epochs', '21', '--workers', '1']);
    expect(resumed.error).toBeUndefined();
    expect(resumed.err).toMatch(/^model: tf_efficientdet_lite0 320x320/m);
    const fineTuned = await runProgram(['train', '--weights', weights, '--data', data, '--size', '128', '--batch', '1', '--workers', '1', '--max-steps', '1', '--out', temporaryFolder()]);
    expect(fineTuned.error).toBeUndefined();
    expect(fineTuned.err).toMatch(/^model: tf_efficientdet_lite0 128x128/m);
  }, 180_000);
});
