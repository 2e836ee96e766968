// `--model NAME` and `--coef N` on the command line: which network a command builds, from the options, the
// weights' metadata or the bundled model's manifest, and the errors when they contradict each other.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import * as tf from '@tensorflow/tfjs-core';
import { CommanderError } from 'commander';
import { EfficientDet, PRESET_NAMES } from '@edet/model';
import { describe, expect, it } from 'vitest';

import { CliError } from '../src/errors.js';
import { chooseModel, createDetector } from '../src/model.js';
import { chooseArchitecture, collectModelNames, modelNameOf } from '../src/model-names.js';
import { runProgram } from './support/run-program.js';
import { temporaryFolder } from './train-fixtures.js';

describe('chooseArchitecture', () => {
  it('takes --model, then --coef, then the recorded name, then the recorded coef, then D0', () => {
    const recorded = { model: 'tf_efficientdet_lite1', compoundCoef: 1 };
    expect(chooseArchitecture({ model: 'tf_efficientdet_lite2', recorded })).toEqual({ model: 'tf_efficientdet_lite2' });
    expect(chooseArchitecture({ compoundCoef: 3, recorded })).toEqual({ compoundCoef: 3 });
    expect(chooseArchitecture({ recorded })).toEqual({ model: 'tf_efficientdet_lite1' });
    expect(chooseArchitecture({ recorded: { compoundCoef: 2 } })).toEqual({ compoundCoef: 2 });
    expect(chooseArchitecture({})).toEqual({ compoundCoef: 0 });
    // --coef naming the recorded D model keeps its name (and so its numerics).
    expect(chooseArchitecture({ compoundCoef: 1, recorded: { model: 'tf_efficientdet_d1' } })).toEqual({ model: 'tf_efficientdet_d1' });
    expect(chooseArchitecture({ model: 'efficientdet-d8', compoundCoef: 8 })).toEqual({ model: 'efficientdet-d8' });
  });

  it('refuses --model and --coef that name different networks; --coef always means a D variant', () => {
    expect(() => chooseArchitecture({ model: 'efficientdet-d0', compoundCoef: 1 })).toThrow(CliError);
    expect(() => chooseArchitecture({ model: 'tf_efficientdet_lite0', compoundCoef: 0 })).toThrow(
      '--model tf_efficientdet_lite0 and --coef 0 disagree: --coef 0 means EfficientDet-D0 (efficientdet-d0); give only one of them',
    );
  });

  it('reads repeated and comma-separated --model values, refusing unknown names with the list', () => {
    expect(collectModelNames('tf_efficientdet_lite0, efficientdet-d0', undefined)).toEqual(['tf_efficientdet_lite0', 'efficientdet-d0']);
    expect(collectModelNames('tf_efficientdet_d1', ['tf_efficientdet_lite0'])).toEqual(['tf_efficientdet_lite0', 'tf_efficientdet_d1']);
    expect(() => collectModelNames('lite0', undefined)).toThrow(`expected a model name: ${PRESET_NAMES.join(', ')}.`);
  });
});

describe('--model on the command line', () => {
  it('an unknown name or a contradicting --coef fails before anything is read or built', async () => {
    const unknown = await runProgram(['detect', '--model', 'd0']);
    expect(unknown.error).toBeInstanceOf(CommanderError);
    expect(unknown.err).toMatch(/^edet: option '--model <name>' argument 'd0' is invalid\. expected a model name: tf_efficientdet_d0, /);
    for (const command of [['detect'], ['eval', '--data', 'nowhere'], ['train'], ['bench']]) {
      const both = await runProgram([...command, '--model', 'tf_efficientdet_lite0', '--coef', '0']);
      expect(both.error, command[0]).toBeInstanceOf(CliError);
      expect(String(both.error), command[0]).toMatch(/--model tf_efficientdet_lite0 and --coef 0 disagree/);
    }
  });

  it('the bundled D0 serves --model efficientdet-d0 but not a Lite0, which gets untrained weights and says why', async () => {
    const named = await chooseModel({ model: 'efficientdet-d0' });
    expect(named).toMatchObject({ model: 'efficientdet-d0', compoundCoef: 0 });
    expect(named.bundled).toBeDefined();
    const lite = await chooseModel({ model: 'tf_efficientdet_lite0' });
    expect(lite.model).toBe('tf_efficientdet_lite0');
    expect(lite.weightsFile).toBeUndefined();
    expect(lite.untrainedReason).toMatch(/the bundled model \(.*\) is D0, not tf_efficientdet_lite0/);
  });

  it("a weights file's recorded name decides unless --model or --coef say otherwise", async () => {
    const start = tf.memory().numTensors;
    const source = new EfficientDet({ compoundCoef: 0, model: 'tf_efficientdet_d0', poolPadding: 'neg-inf', numClasses: 2, fpnLayers: 1, headLayers: 1, inputSize: 128 });
    const file = join(temporaryFolder(), 'd0-named.safetensors');
    writeFileSync(file, await source.saveSafetensors());
    source.dispose();
    expect(await chooseModel({ weightsFile: file })).toMatchObject({ model: 'tf_efficientdet_d0', compoundCoef: 0, inputSize: 128 });
    expect(await chooseModel({ weightsFile: file, compoundCoef: 0 })).toMatchObject({ model: 'tf_efficientdet_d0' });
    const byCoef = await chooseModel({ weightsFile: file, compoundCoef: 1 });
    expect([byCoef.model, byCoef.compoundCoef]).toEqual([undefined, 1]);
    expect(await chooseModel({ weightsFile: file, model: 'tf_efficientdet_lite0' })).toMatchObject({ model: 'tf_efficientdet_lite0' });
    expect(tf.memory().numTensors).toBe(start);
  });

  it('createDetector builds by name; the model is named as its numerics say when it has no name', async () => {
    const start = tf.memory().numTensors;
    const lite = await createDetector({ model: 'tf_efficientdet_lite0', numClasses: 2, inputSize: 128, notice: () => {} });
    expect(lite.config).toMatchObject({ model: 'tf_efficientdet_lite0', backbone: 'efficientnet-lite', inputSize: 128 });
    expect(modelNameOf(lite)).toBe('tf_efficientdet_lite0');
    lite.dispose();
    const d0 = new EfficientDet({ compoundCoef: 0, numClasses: 1, fpnLayers: 1, headLayers: 1 });
    expect(modelNameOf(d0)).toBe('efficientdet-d0');
    d0.followCheckpointPoolPadding('neg-inf');
    expect(modelNameOf(d0)).toBe('tf_efficientdet_d0');
    d0.dispose();
    await expect(createDetector({ model: 'efficientdet-d1', compoundCoef: 0, numClasses: 2, notice: () => {} })).rejects.toThrow(CliError);
    expect(tf.memory().numTensors).toBe(start);
  });
});

describe('edet bench --model', () => {
  it('times several models interleaved in one run and reports each median and their ratio', async () => {
    const run = await runProgram(['bench', '--model', 'tf_efficientdet_lite0,efficientdet-d0', '--model', 'tf_efficientdet_d0', '--size', '64', '--runs', '2', '--warmup', '1', '--backend', 'wasm', '--json']);
    expect(run.error).toBeUndefined();
    const report = JSON.parse(run.out) as { results: { model: string; coef: number; size: number; medianMs: number; timesMs: number[] }[]; ratio: { faster: string; slower: string; factor: number } };
    expect(report.results.map((result) => result.model)).toEqual(['tf_efficientdet_lite0', 'efficientdet-d0', 'tf_efficientdet_d0']);
    for (const result of report.results) expect(result).toMatchObject({ backend: 'wasm', coef: 0, size: 64, runs: 2 });
    const medians = report.results.map((result) => result.medianMs);
    const [fastest, slowest] = [Math.min(...medians), Math.max(...medians)];
    expect(report.ratio.factor).toBeCloseTo(slowest / fastest, 9);
    expect(report.results[medians.indexOf(fastest)].model).toBe(report.ratio.faster);
    expect(report.results[medians.indexOf(slowest)].model).toBe(report.ratio.slower);

    const text = await runProgram(['bench', '--model', 'tf_efficientdet_lite0,efficientdet-d0', '--size', '64', '--runs', '1', '--warmup', '0', '--backend', 'wasm']);
    expect(text.error).toBeUndefined();
    expect(text.out).toMatch(/^2 models, forward, batch 1, on wasm \(\d+ threads?\), interleaved/);
    expect(text.out).toMatch(/^tf_efficientdet_lite0 64x64: median [\d.]+ ms/m);
    expect(text.out).toMatch(/^efficientdet-d0 64x64: median [\d.]+ ms/m);
    expect(text.out).toMatch(/^(tf_efficientdet_lite0|efficientdet-d0) is [\d.]+x faster than (tf_efficientdet_lite0|efficientdet-d0) \(median latency\)$/m);
  });

  it("one named model runs at its own size with the single-model report; misuse is a CliError", async () => {
    const lite = await runProgram(['bench', '--model', 'tf_efficientdet_lite0', '--runs', '1', '--warmup', '0', '--backend', 'wasm', '--json']);
    expect(lite.error).toBeUndefined();
    expect(JSON.parse(lite.out)).toMatchObject({ backend: 'wasm', model: 'tf_efficientdet_lite0', coef: 0, size: 320, runs: 1 });
    const train = await runProgram(['bench', '--mode', 'train', '--model', 'tf_efficientdet_lite0,efficientdet-d0']);
    expect(String(train.error)).toMatch(/--mode train times one model; give one --model/);
    const coef = await runProgram(['bench', '--model', 'efficientdet-d0,efficientdet-d1', '--coef', '0']);
    expect(String(coef.error)).toMatch(/--coef 0 goes with one --model, not 2/);
  });
});
