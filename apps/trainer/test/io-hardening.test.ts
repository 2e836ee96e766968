import { copyFileSync, existsSync, linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { DataFileError } from '@edet/data';
import { checkpointGeometry, EfficientDet } from '@edet/model';
import { writeSafetensors } from '@edet/safetensors';
import { FileFormatError } from '@edet/tensor';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import { exitQuietlyOnBrokenPipe } from '../src/broken-pipe.js';
import { CliError } from '../src/errors.js';
import { chooseModel, createChosenDetector } from '../src/model.js';
import { InputFiles, writeOutputFile } from '../src/output-files.js';
import { OutputNames } from '../src/output-names.js';
import { SAMPLES_DIRECTORY } from '../src/samples.js';
import { runProgram } from './support/run-program.js';

// Bad inputs and hostile file layouts for detect and eval: outputs never land on inputs or follow links,
// damaged or unbounded inputs are refused naming the file, the weights' recorded input size is used.

const sample = join(SAMPLES_DIRECTORY, 'BloodImage_00000.jpg');
const scratch = (prefix = 'edet-io-') => mkdtempSync(join(tmpdir(), prefix));

describe('writing outputs', () => {
  it('replaces a symlink in the output folder with the file, leaving its target untouched', async () => {
    const folder = scratch();
    writeFileSync(join(folder, 'victim.txt'), 'keep me');
    symlinkSync(join(folder, 'victim.txt'), join(folder, 'out.json'));
    await writeOutputFile(join(folder, 'out.json'), '[]\n');
    expect(readFileSync(join(folder, 'victim.txt'), 'utf8')).toBe('keep me');
    expect(readFileSync(join(folder, 'out.json'), 'utf8')).toBe('[]\n');
    expect(readdirSync(folder).sort()).toEqual(['out.json', 'victim.txt']);
  });

  it('never writes over an input, by any name (itself, a hard link), and leaves no temporary file', async () => {
    const folder = scratch();
    const input = join(folder, 'gt.json');
    writeFileSync(input, 'input');
    linkSync(input, join(folder, 'hard.json'));
    const inputs = new InputFiles([input, undefined, join(folder, 'missing.json')]);
    for (const target of [input, join(folder, 'hard.json'), join(folder, '.', 'gt.json')]) {
      await expect(writeOutputFile(target, 'x', inputs)).rejects.toThrow(new CliError(`refusing to write ${target}: it is the input ${input}; choose another output name`));
    }
    await expect(writeOutputFile(folder, 'x')).rejects.toThrow(`cannot write ${folder}: it is a folder`);
    await expect(writeOutputFile(join(folder, 'no', 'such', 'dir.json'), 'x')).rejects.toBeInstanceOf(CliError);
    expect(readFileSync(input, 'utf8')).toBe('input');
    expect(readdirSync(folder).sort()).toEqual(['gt.json', 'hard.json']);
  });

  it('OutputNames gives an annotated image another name where the input itself lives', () => {
    const folder = scratch();
    writeFileSync(join(folder, 'photo.jpg'), 'x');
    writeFileSync(join(folder, 'photo-2.jpg'), 'y');
    const names = new OutputNames(folder, new InputFiles([join(folder, 'photo.jpg'), join(folder, 'photo-2.jpg')]));
    expect(names.next(join(folder, 'photo.jpg'), 'jpeg').path).toBe(join(folder, 'photo-3.jpg'));
    expect(names.next('elsewhere/other.png', 'png').path).toBe(join(folder, 'other.png'));
  });

  it('edet detect --out the input folder keeps the input and a link in --out, and prints paths as given', async () => {
    const images = scratch();
    const out = scratch();
    const input = join(images, 'cells.jpg');
    copyFileSync(sample, input);
    const victim = join(images, 'victim.jpg');
    writeFileSync(victim, 'not an image');
    const inputBytes = readFileSync(input);
    // `--out images`: the annotated copy must not replace cells.jpg. A second image of another name goes to
    // `out`, where its name is a symlink to a file that must survive.
    const second = join(out, 'second-source');
    mkdirSync(second);
    copyFileSync(sample, join(second, 'linked.jpg'));
    symlinkSync(victim, join(images, 'linked.jpg'));
    const result = await runProgram(['detect', input, join(second, 'linked.jpg'), '--out', images, '--json', '--max-detections', '1', '--size', '128']);
    expect(result.error).toBeUndefined();
    expect(readFileSync(input).equals(inputBytes)).toBe(true);
    expect(readFileSync(victim, 'utf8')).toBe('not an image');
    expect(result.err).toContain(`annotated: ${join(images, 'cells-2.jpg')}\n`);
    expect(result.err).toContain(`annotated: ${join(images, 'linked.jpg')}\n`);
    expect(readdirSync(images).sort()).toEqual(['cells-2.jpg', 'cells.jpg', 'linked.jpg', 'victim.jpg']);
    expect(JSON.parse(result.out)).toHaveLength(2);
  }, 60_000);

  it('edet eval --save-detections refuses to write over its own ground truth, before running the model', async () => {
    const folder = scratch();
    mkdirSync(join(folder, 'images'));
    copyFileSync(sample, join(folder, 'images', 'a.jpg'));
    const gt = { images: [{ id: 1, file_name: 'a.jpg', width: 640, height: 480 }], annotations: [], categories: [{ id: 1, name: 'RBC' }] };
    writeFileSync(join(folder, 'instances_val.json'), JSON.stringify(gt));
    const before = readFileSync(join(folder, 'instances_val.json'), 'utf8');
    const result = await runProgram(['eval', '--data', folder, '--save-detections', join(folder, 'instances_val.json')]);
    expect(String(result.error)).toContain(`refusing to write ${join(folder, 'instances_val.json')}: it is the input`);
    expect(readFileSync(join(folder, 'instances_val.json'), 'utf8')).toBe(before);
  });
});

describe('reading inputs', () => {
  it('refuses a truncated image, a device and a huge header naming the file, before any model is built', async () => {
    const folder = scratch();
    const bytes = readFileSync(sample);
    writeFileSync(join(folder, 'cut.jpg'), bytes.subarray(0, Math.floor(bytes.length / 2)));
    const cases: [string[], RegExp][] = [
      [['detect', join(folder, 'cut.jpg')], /cut\.jpg: truncated JPEG/],
      [['detect', '/dev/zero'], /^DataFileError: \/dev\/zero: is not a regular file/],
      [['detect', sample, '--max-pixels', '1000'], /BloodImage_00000\.jpg: is 640x480 pixels; the most decoded is 1000 pixels/],
      [['detect', sample, '--weights', '/dev/zero'], /\/dev\/zero: is not a regular file/],
      [['detect', folder], /is a directory, not a file/],
      [['detect', sample, '--size', '200x'], /expected a positive side \(512\) or HEIGHTxWIDTH \(384x640\)/],
    ];
    const start = tf.memory().numTensors;
    for (const [args, message] of cases) {
      const result = await runProgram([...args, '--out', join(folder, 'out')]);
      expect(result.error, args.join(' ')).toBeDefined();
      expect(`${(result.error as Error).name}: ${(result.error as Error).message}${result.err}`).toMatch(message);
    }
    expect(tf.memory().numTensors).toBe(start);
    expect(existsSync(join(folder, 'out'))).toBe(false);
  });

  it('eval refuses a device or a folder as --gt/--dets, naming it, before reading', async () => {
    const folder = scratch();
    const gt = join(folder, 'gt.json');
    writeFileSync(gt, JSON.stringify({ images: [{ id: 1, width: 10, height: 10 }], annotations: [], categories: [{ id: 1, name: 'a' }] }));
    for (const [args, message] of [
      [['--gt', '/dev/zero', '--dets', gt], '/dev/zero: is not a regular file'],
      [['--gt', gt, '--dets', '/dev/zero'], '/dev/zero: is not a regular file'],
      [['--gt', folder, '--dets', gt], `${folder}: is a directory, not a file`],
    ] as const) {
      const result = await runProgram(['eval', ...args]);
      expect(String(result.error)).toContain(message);
    }
  });

  it('errors are typed: DataFileError for images, FileFormatError for weights', async () => {
    const folder = scratch();
    writeFileSync(join(folder, 'cut.png'), new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]));
    expect((await runProgram(['detect', join(folder, 'cut.png'), '--out', folder])).error).toBeInstanceOf(DataFileError);
    expect((await runProgram(['detect', sample, '--weights', '/dev/zero', '--out', folder])).error).toBeInstanceOf(FileFormatError);
  });
});

describe('the input size recorded in the weights', () => {
  async function savedWeights(inputSize: number, metadata: Record<string, string> = {}): Promise<string> {
    const file = join(scratch(), 'w.safetensors');
    const model = new EfficientDet({ compoundCoef: 0, numClasses: 2, inputSize, seed: 3 });
    try {
      writeFileSync(file, await model.saveSafetensors({ metadata: { classes: '["a","b"]', ...metadata } }));
    } finally {
      model.dispose();
    }
    return file;
  }

  it('saveSafetensors records compound_coef and input_size; loading uses them unless --size/--coef say otherwise', async () => {
    const file = await savedWeights(256);
    const choice = await chooseModel({ weightsFile: file });
    expect(choice.weights?.header.metadata).toMatchObject({ compound_coef: '0', input_size: '256' });
    expect([choice.compoundCoef, choice.inputSize]).toEqual([0, 256]);
    const model = await createChosenDetector(choice, () => {});
    expect(model.config.inputSize).toBe(256);
    model.dispose();
    expect((await chooseModel({ weightsFile: file, inputSize: 384 })).inputSize).toBe(384);
    expect((await chooseModel({ weightsFile: file, compoundCoef: 1 })).compoundCoef).toBe(1);
    // The bundled model: its manifest's size, unless --size.
    expect((await chooseModel({ inputSize: 256 })).inputSize).toBe(256);
  });

  it('refuses metadata that is not a valid variant or size, naming the file and key', async () => {
    for (const [key, value] of [
      ['input_size', '0'],
      ['input_size', '-128'],
      ['input_size', '384x'],
      ['input_size', 'big'],
      ['compound_coef', '9'],
      ['compound_coef', '1.5'],
    ]) {
      // Only the header is read before the check, so one small tensor stands for the weights.
      const file = join(scratch(), 'w.safetensors');
      const tensor = tf.zeros([2]);
      writeFileSync(file, await writeSafetensors({ x: tensor }, { metadata: { [key]: value } }));
      tensor.dispose();
      const attempt = chooseModel({ weightsFile: file });
      await expect(attempt).rejects.toBeInstanceOf(FileFormatError);
      await expect(attempt).rejects.toThrow(`${file} (metadata "${key}"): expected`);
    }
    expect(checkpointGeometry(undefined)).toEqual({ compoundCoef: undefined, inputSize: undefined });
    expect(checkpointGeometry({ input_size: '640', compound_coef: '1' })).toEqual({ compoundCoef: 1, inputSize: 640 });
    // Any size the network takes: Lite0's 320, and [height, width] for non-square inputs.
    expect(checkpointGeometry({ input_size: '320' }).inputSize).toBe(320);
    expect(checkpointGeometry({ input_size: '384x640' }).inputSize).toEqual([384, 640]);
  });
});

describe('edet eval --data', () => {
  it('accepts a Pascal VOC folder, as edet train does', async () => {
    const root = scratch('edet-voc-eval-');
    mkdirSync(join(root, 'Annotations'));
    mkdirSync(join(root, 'JPEGImages'));
    const annotations = join(import.meta.dirname, '..', '..', '..', 'packages', 'data', 'test', 'fixtures', 'voc-bccd', 'Annotations');
    copyFileSync(join(annotations, 'BloodImage_00000.xml'), join(root, 'Annotations', 'BloodImage_00000.xml'));
    copyFileSync(sample, join(root, 'JPEGImages', 'BloodImage_00000.jpg'));
    const result = await runProgram(['eval', '--data', root, '--json', '--size', '128']);
    expect(result.error).toBeUndefined();
    const report = JSON.parse(result.out);
    expect(report.images).toBe(1);
    expect(report.stats).toHaveLength(12);
  }, 60_000);
});

describe('edet eval --data: the image sizes the annotations state', () => {
  it('fails up front naming the image id, the file and both sizes when the COCO JSON says another size', async () => {
    const folder = scratch();
    mkdirSync(join(folder, 'images'));
    copyFileSync(sample, join(folder, 'images', 'a.jpg'));
    const gt = { images: [{ id: 7, file_name: 'a.jpg', width: 320, height: 240 }], annotations: [], categories: [{ id: 1, name: 'RBC' }, { id: 2, name: 'WBC' }, { id: 3, name: 'Platelets' }] };
    writeFileSync(join(folder, 'instances_val.json'), JSON.stringify(gt));
    const result = await runProgram(['eval', '--data', folder, '--size', '128']);
    // Found from the header before the model is built.
    expect(String(result.error)).toContain(`${join(folder, 'images', 'a.jpg')}: is 640x480 pixels, but the annotations of image 7 (a.jpg) say 320x240`);
    expect(result.err).toBe('');
  }, 30_000);
});

describe('a reader that goes away', () => {
  it('ends quietly on EPIPE with the status so far, and rethrows other stream errors', () => {
    const listeners: ((error: NodeJS.ErrnoException) => void)[] = [];
    const exits: number[] = [];
    exitQuietlyOnBrokenPipe({ on: (_event, listener) => listeners.push(listener) }, (code) => exits.push(code));
    listeners[0](Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
    expect(exits).toEqual([0]);
    expect(() => listeners[0](Object.assign(new Error('disk'), { code: 'EIO' }))).toThrow('disk');
  });
});
