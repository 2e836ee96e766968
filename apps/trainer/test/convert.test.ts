// `edet convert` and `--weights X.pth`: PyTorch checkpoints convert to safetensors bit for bit and load
// directly; bad inputs and outputs are refused before anything is written.
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { EfficientDet } from '@edet/model';
import { parseSafetensors } from '@edet/safetensors';
import * as tf from '@tensorflow/tfjs-core';
import { FileFormatError, StateDictError } from '@edet/tensor';
import { describe, expect, it } from 'vitest';

import { CliError } from '../src/errors.js';
import { sharedPath } from '../../../packages/tensor/test/shared-fixtures.js';
import { runTraining } from '../src/train/trainer.js';
import { float32Bytes, pickle, stateDictPickle, zipPth } from '../../../packages/pth/test/support/pickle-builder.js';
import { runProgram } from './support/run-program.js';
import { recordingIo, temporaryFolder, tinyCocoDataset, tinyRunConfig } from './train-fixtures.js';

const folder = mkdtempSync(join(tmpdir(), 'edet-convert-'));
const pth = (name: string): string => sharedPath('weights', 'pth', name);
const D0_LEGACY = pth('efficientdet-d0-synthetic.legacy.pth');
const D0_TWIN = sharedPath('weights', 'efficientdet-d0-synthetic.safetensors');
const LITE0_TWIN = sharedPath('golden', 'effdet-synthetic', 'tf_efficientdet_lite0', 'weights.safetensors');

/** Each tensor's dtype, shape and bytes, by name. */
function tensorsOf(file: string): Map<string, string> {
  const { bytes, header } = parseSafetensors(readFileSync(file));
  return new Map(
    header.entries.map((entry) => {
      const data = bytes.subarray(header.dataStart + entry.dataOffsets[0], header.dataStart + entry.dataOffsets[1]);
      return [entry.name, `${entry.dtype} [${entry.shape}] ${Buffer.from(data).toString('base64')}`];
    }),
  );
}

function expectSameTensors(file: string, twin: string): void {
  const actual = tensorsOf(file);
  const expected = tensorsOf(twin);
  expect([...actual.keys()].sort()).toEqual([...expected.keys()].sort());
  for (const [name, value] of expected) expect(actual.get(name) === value, name).toBe(true);
}

describe('edet convert', () => {
  it('converts the legacy D0 .pth and the zip Lite0 .pth to their safetensors twins, bit for bit', async () => {
    const d0 = join(folder, 'd0.safetensors');
    const run = await runProgram(['convert', D0_LEGACY, d0]);
    expect(run.error).toBeUndefined();
    expect(run.out).toMatch(/^wrote .*d0\.safetensors: 676 tensors from PyTorch .*legacy\.pth, zylo117 layout\n$/);
    expectSameTensors(d0, D0_TWIN);
    expect(parseSafetensors(readFileSync(d0)).header.metadata).toEqual({
      format: 'pt',
      converted_from: 'efficientdet-d0-synthetic.legacy.pth',
      layout: 'zylo117',
    });

    const lite0 = join(folder, 'lite0.safetensors');
    expect((await runProgram(['convert', pth('tf_efficientdet_lite0-synthetic.pth'), lite0])).error).toBeUndefined();
    expectSameTensors(lite0, LITE0_TWIN); // num_batches_tracked included, as I64
  });

  it("takes a training checkpoint's state_dict, or its EMA weights with --ema", async () => {
    const plain = join(folder, 'train.safetensors');
    const ema = join(folder, 'train-ema.safetensors');
    expect((await runProgram(['convert', pth('tf_efficientdet_lite0-train-checkpoint.pth'), plain])).error).toBeUndefined();
    expectSameTensors(plain, LITE0_TWIN);
    expect(parseSafetensors(readFileSync(plain)).header.metadata).toMatchObject({ arch: 'tf_efficientdet_lite0', epoch: '12' });
    const run = await runProgram(['convert', '--ema', pth('tf_efficientdet_lite0-train-checkpoint.pth'), ema]);
    expect(run.out).toMatch(/EMA weights\n$/);
    // Copies (new Uint8Array) below: a Buffer's slice is a view of the whole file.
    const { bytes, header } = parseSafetensors(readFileSync(ema));
    const bias = header.entries.find((entry) => entry.name === 'class_net.predict.conv_pw.bias')!;
    const twin = parseSafetensors(readFileSync(LITE0_TWIN));
    const twinBias = twin.header.entries.find((entry) => entry.name === bias.name)!;
    const values = new Float32Array(new Uint8Array(bytes.subarray(header.dataStart + bias.dataOffsets[0], header.dataStart + bias.dataOffsets[1])).buffer);
    const expected = new Float32Array(new Uint8Array(twin.bytes.subarray(twin.header.dataStart + twinBias.dataOffsets[0], twin.header.dataStart + twinBias.dataOffsets[1])).buffer);
    expect(values).toEqual(expected.map((value) => value + 1));
  });

  it('copies a safetensors input with its metadata, and round-trips the D0 through the rwightman layout', async () => {
    const copy = join(folder, 'copy.safetensors');
    expect((await runProgram(['convert', D0_TWIN, copy])).error).toBeUndefined();
    expect(readFileSync(copy).equals(readFileSync(D0_TWIN))).toBe(true);

    const rwightman = join(folder, 'd0-rwightman.safetensors');
    const back = join(folder, 'd0-back.safetensors');
    expect((await runProgram(['convert', '--layout', 'rwightman', D0_LEGACY, rwightman])).error).toBeUndefined();
    expect([...tensorsOf(rwightman).keys()].some((name) => name.startsWith('fpn.'))).toBe(true);
    expect((await runProgram(['convert', '--layout', 'zylo117', rwightman, back])).error).toBeUndefined();
    expectSameTensors(back, D0_TWIN);
  });

  it('refuses --layout for weights that do not fit the --coef model, freeing that model and writing nothing', async () => {
    const out = join(folder, 'lite0-as-d0.safetensors');
    const before = tf.memory().numTensors;
    const run = await runProgram(['convert', '--layout', 'zylo117', '--coef', '0', LITE0_TWIN, out]);
    expect(run.error).toBeInstanceOf(StateDictError);
    expect(tf.memory().numTensors).toBe(before);
    expect(existsSync(out)).toBe(false);
    const both = await runProgram(['convert', '--layout', 'zylo117', '--model', 'tf_efficientdet_lite0', '--coef', '0', LITE0_TWIN, out]);
    expect(String(both.error)).toMatch(/--model tf_efficientdet_lite0 and --coef 0 disagree/);
    expect(existsSync(out)).toBe(false);
  });

  it("--layout rebuilds the model the file's metadata names (Lite0), or the one --model names", async () => {
    const fromMetadata = join(folder, 'lite0-zylo117.safetensors');
    const fromOption = join(folder, 'lite0-zylo117-named.safetensors');
    expect((await runProgram(['convert', '--layout', 'zylo117', LITE0_TWIN, fromMetadata])).error).toBeUndefined();
    expect((await runProgram(['convert', '--layout', 'zylo117', '--model', 'tf_efficientdet_lite0', LITE0_TWIN, fromOption])).error).toBeUndefined();
    expect(parseSafetensors(readFileSync(fromMetadata)).header.metadata).toMatchObject({ model: 'tf_efficientdet_lite0', layout: 'zylo117' });
    // Back in effdet's layout, every tensor is the original's (edet keeps no num_batches_tracked counters).
    const back = join(folder, 'lite0-back.safetensors');
    expect((await runProgram(['convert', '--layout', 'rwightman', fromOption, back])).error).toBeUndefined();
    const [actual, expected] = [tensorsOf(back), tensorsOf(LITE0_TWIN)];
    expect([...expected.keys()].filter((name) => !name.endsWith('num_batches_tracked')).sort()).toEqual([...actual.keys()].sort());
    for (const [name, value] of actual) expect(expected.get(name) === value, name).toBe(true);
  });

  it('refuses, writing nothing: the input as output, a non-.safetensors output, --ema on safetensors, a broken .pth, a missing folder', async () => {
    const before = readdirSync(folder).length;
    const sameAsInput = await runProgram(['convert', D0_TWIN, D0_TWIN]);
    expect(sameAsInput.error).toBeInstanceOf(CliError);
    expect(String(sameAsInput.error)).toMatch(/is the input file/);
    const notSafetensors = await runProgram(['convert', D0_LEGACY, join(folder, 'out.pth')]);
    expect(String(notSafetensors.error)).toMatch(/out\.pth: the output must be a \.safetensors file/);
    const emaOfSafetensors = await runProgram(['convert', '--ema', D0_TWIN, join(folder, 'x.safetensors')]);
    expect(emaOfSafetensors.error).toBeInstanceOf(FileFormatError);
    const broken = join(folder, 'broken.pth');
    writeFileSync(broken, readFileSync(D0_LEGACY).subarray(0, 5000));
    const run = await runProgram(['convert', broken, join(folder, 'broken.safetensors')]);
    expect(run.error).toBeInstanceOf(FileFormatError);
    expect(String(run.error)).toMatch(/broken\.pth: truncated/);
    expect(readdirSync(folder).length).toBe(before + 1); // only broken.pth itself
    expect(existsSync(join(folder, 'broken.safetensors'))).toBe(false);
    const noFolder = await runProgram(['convert', D0_TWIN, join(folder, 'missing', 'out.safetensors')]);
    expect(noFolder.error).toBeInstanceOf(CliError);
    expect(String(noFolder.error)).toMatch(/out\.safetensors: cannot be written \(its folder does not exist\)/);
  });
});

describe('--weights X.pth', () => {
  it('edet detect gives the same detections with the legacy .pth as with its safetensors twin', async () => {
    const image = sharedPath('images', 'img.png');
    const detect = (weights: string) =>
      runProgram(['detect', image, '--weights', weights, '--json', '--score-threshold', '0.005', '--out', join(folder, 'annotated')]);
    const fromPth = await detect(D0_LEGACY);
    const fromTwin = await detect(D0_TWIN);
    expect(fromPth.error).toBeUndefined();
    expect(JSON.parse(fromPth.out).length).toBeGreaterThan(0);
    expect(fromPth.out).toBe(fromTwin.out);
  });
});

describe('edet train --weights X.pth', () => {
  it('starts from a PyTorch zip checkpoint as from safetensors', async () => {
    const source = new EfficientDet({ compoundCoef: 0, fpnLayers: 1, headLayers: 1, inputSize: 128, numClasses: 5, seed: 1 });
    const state = source.stateDict();
    const names = Object.keys(state);
    const storages = Object.fromEntries(names.map((name, index) => [String(index), float32Bytes([...state[name].dataSync()])]));
    const tensors = names.map((name, index) => ({ name, key: String(index), numel: state[name].size, shape: state[name].shape }));
    for (const tensor of Object.values(state)) tensor.dispose();
    source.dispose();
    const file = join(temporaryFolder(), 'five.pth');
    writeFileSync(file, zipPth(pickle(stateDictPickle(tensors)), storages));

    const io = recordingIo();
    const result = await runTraining({
      config: tinyRunConfig(tinyCocoDataset(1, 0), { weights: file }),
      out: temporaryFolder(),
      maxSteps: 1,
      evalEvery: 0,
      io,
      tty: false,
      handleSignals: false,
      plot: false,
    });
    expect(result.step).toBe(1);
    expect(io.errors()).toContain('five.pth has a 5-class head and this dataset 3 classes');
  });
});
