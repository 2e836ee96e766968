import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { DataError } from '@edet/data';
import { CommanderError } from 'commander';
import { EfficientDet } from '@edet/model';
import { DropConnectRandom, defaultMicroBatch } from '@edet/train';
import { CHECKPOINT_FILE, readCheckpointJson } from '@edet/train/node';
import { describe, expect, it } from 'vitest';

import { defaultRunFolder } from '../src/commands/train.js';
import { CliError } from '../src/errors.js';
import { ProgressBar, formatDuration } from '../src/train/progress.js';
import { temporaryFolder, tinyCocoDataset } from './train-fixtures.js';
import { runProgram } from './support/run-program.js';

/** Runs the program in-process on `args`, capturing what it writes. */
const run = runProgram;

describe('edet train options', () => {
  it('rejects an input size the model cannot take before doing anything', async () => {
    const result = await run(['train', '--size', '300.5']);
    expect(result.error).toBeInstanceOf(CommanderError);
    expect(result.err).toBe("edet: option '--size <pixels>' argument '300.5' is invalid. expected a positive side (512) or HEIGHTxWIDTH (384x640).\n");
  });

  it('reports a missing or invalid dataset as one line', async () => {
    const missing = await run(['train', '--data', join(temporaryFolder(), 'nowhere')]);
    expect(missing.error).toBeInstanceOf(DataError);
    expect((missing.error as Error).message).toMatch(/^dataset .*nowhere does not exist$/);
    const empty = await run(['train', '--data', temporaryFolder()]);
    expect((empty.error as Error).message).toMatch(/not a dataset \(expected instances_train\.json/);
    const resume = await run(['train', '--resume', temporaryFolder()]);
    expect((resume.error as Error).message).toMatch(/no checkpoint\.json in that folder/);
  });

  it('names runs by time and picks passes that fit the wasm heap', () => {
    expect(defaultRunFolder(new Date('2025-03-04T05:06:07.890Z'))).toBe(join('runs', '2025-03-04T05-06-07'));
    expect(defaultMicroBatch('wasm', 0, 512, 4)).toBe(2);
    expect(defaultMicroBatch('wasm', 0, 512, 1)).toBe(1);
    expect(defaultMicroBatch('wasm', 0, 256, 16)).toBe(8);
    expect(defaultMicroBatch('wasm', 2, 768, 4)).toBe(1);
    expect(defaultMicroBatch('cpu', 0, 512, 4)).toBe(4);
  });

  it('formats the progress line: bar, steps/s, ETA, loss parts, lr', () => {
    let now = 0;
    const lines: string[] = [];
    const bar = new ProgressBar((text) => lines.push(text), false, () => now);
    bar.start();
    now = 2;
    bar.step({ epoch: 1, epochs: 3, batch: 1, batches: 4, stepsLeft: 11, loss: 1.5, classificationLoss: 1, boxLoss: 0.5, lr: 1e-3 });
    expect(lines).toEqual(['epoch 1/3 [#####---------------] 1/4 0.50 step/s ETA 0:22 loss 1.5000 (cls 1.0000 box 0.5000) lr 1.00e-3\n']);
    expect(formatDuration(3725)).toBe('1:02:05');
  });

  it("reaches every backbone block's drop-connect source", () => {
    const model = new EfficientDet({ compoundCoef: 0, numClasses: 1, fpnLayers: 1, headLayers: 1 });
    expect(new DropConnectRandom(model, 1).blocks).toBe(model.backbone.blocks.length);
    model.dispose();
  });
});

describe('edet train', () => {
  it('trains, checkpoints, resumes, and plots a log', async () => {
    const data = tinyCocoDataset(2, 0);
    const out = temporaryFolder();
    const common = ['--data', data, '--size', '128', '--batch', '1', '--out', out];
    const first = await run(['train', ...common, '--max-steps', '1', '--seed', '3', '--warmup-steps', '1', '--no-augment']);
    expect(first.error).toBeUndefined();
    expect(first.out).toMatch(/^stopped at --max-steps: step 1, 0\/30 epochs; [\d.]+ s\/step \(median of 1\)/);
    expect(first.out).toContain(`resume: edet train --resume ${out}`);
    expect(first.err).toMatch(/model: EfficientDet-D0 128x128, 3\.\d\dM parameters; backend wasm; adamw lr 0\.001 \(warm-up 1, cosine to 60 steps\), batch 1, 2 steps\/epoch, seed 3, no augmentation/);
    expect(readFileSync(join(out, 'classes.json'), 'utf8')).toBe('["RBC","WBC","Platelets"]\n');

    const second = await run(['train', '--resume', out, '--max-steps', '2', '--lr', '5']);
    expect(second.error).toBeUndefined();
    expect(second.err).toContain('edet: note: resuming with the checkpoint\'s settings; ignored --lr');
    expect(second.out).toMatch(/^stopped at --max-steps: step 2, 1\/30 epochs/);
    const json = await readCheckpointJson(join(out, CHECKPOINT_FILE));
    expect(json).toMatchObject({ reason: 'epoch', progress: { epoch: 1, step: 2 }, config: { lr: 1e-3, seed: 3, augment: false } });

    const plotFolder = temporaryFolder();
    const log = join(plotFolder, 'log.jsonl');
    writeFileSync(log, readFileSync(join(out, 'log.jsonl')));
    const plotted = await run(['train', '--plot', log]);
    expect(plotted.error).toBeUndefined();
    expect(plotted.out).toContain('training.png');
    expect(readFileSync(join(plotFolder, 'training.png')).subarray(1, 4).toString()).toBe('PNG');
  });
});
