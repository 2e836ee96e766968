import { readFileSync } from 'node:fs';

import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { EfficientDet, loadCheckpoint, parseCheckpoint, saveCheckpoint } from '@edet/model';
import { readSafetensors, readSafetensorsHeader, writeSafetensorsSync } from '@edet/safetensors';
import { FileFormatError, StateDictError } from '@edet/tensor';

import { sharedPath } from '../../tensor/test/shared-fixtures.js';
import { classifierBiasSnapshot as snapshot, expectLoadRejected, rewrite, tensorsEqual } from './support/checkpoint-files.js';

describe('checkpoints (official zylo117 layout)', () => {
  let bytes: Uint8Array;
  let model: EfficientDet;

  beforeAll(() => {
    bytes = readFileSync(sharedPath('weights', 'efficientdet-d0-synthetic.safetensors'));
    model = new EfficientDet({ compoundCoef: 0, seed: 1 });
    loadCheckpoint(model, bytes, { source: 'efficientdet-d0-synthetic.safetensors' });
  });
  afterAll(() => model?.dispose());

  it('load then save reproduces every tensor exactly, with the same names in the same order', async () => {
    const start = tf.memory().numTensors;
    const saved = await saveCheckpoint(model);
    expect(tf.memory().numTensors).toBe(start);
    const original = readSafetensors(bytes);
    const roundTrip = readSafetensors(saved);
    try {
      expect(readSafetensorsHeader(saved).entries.map((e) => e.name)).toEqual(readSafetensorsHeader(bytes).entries.map((e) => e.name));
      for (const [name, tensor] of Object.entries(original.tensors)) {
        expect(tensorsEqual(tensor, roundTrip.tensors[name]), name).toBe(true);
      }
    } finally {
      tf.dispose([...Object.values(original.tensors), ...Object.values(roundTrip.tensors)]);
    }
  });

  it('loading leaks no tensors', () => {
    const other = new EfficientDet({ compoundCoef: 0 });
    const start = tf.memory().numTensors;
    loadCheckpoint(other, bytes);
    expect(tf.memory().numTensors).toBe(start);
    other.dispose();
  });

  it('loads a parseCheckpoint result as it loads the bytes, and names its source in errors', async () => {
    const parsed = parseCheckpoint(bytes, { source: 'efficientdet-d0-synthetic.safetensors' });
    expect(parsed.header.entries.length).toBe(readSafetensorsHeader(bytes).entries.length);
    const other = new EfficientDet({ compoundCoef: 0, seed: 3 });
    const start = tf.memory().numTensors;
    expect(loadCheckpoint(other, parsed)).toEqual({ layout: 'zylo117', poolPadding: 'zero' });
    expect(tf.memory().numTensors).toBe(start);
    const a = model.classifier.header.pointwiseConv.conv.weight;
    const b = other.classifier.header.pointwiseConv.conv.weight;
    expect(tensorsEqual(a, b)).toBe(true);
    other.dispose();

    expect(() => parseCheckpoint(bytes.subarray(0, 5), { source: 'cut.safetensors' })).toThrow(FileFormatError);
    expect(() => parseCheckpoint(bytes.subarray(0, 5), { source: 'cut.safetensors' })).toThrow(/^cut\.safetensors: file is truncated/);
    const unrelated = parseCheckpoint(writeSafetensorsSync({ 'layer.weight': tf.zeros([2]) }), { source: 'other.safetensors' });
    const fresh = new EfficientDet({ compoundCoef: 0, seed: 7 });
    expect(() => fresh.loadSafetensors(unrelated, { source: 'ignored' })).toThrow(/^other\.safetensors: its keys match no known/);
    fresh.dispose();
  });

  it('saves float16 at half the size, within float16 rounding', async () => {
    const half = await saveCheckpoint(model, { dtype: 'F16' });
    expect(half.length).toBeLessThan(bytes.length * 0.51);
    const copy = new EfficientDet({ compoundCoef: 0 });
    loadCheckpoint(copy, half);
    const a = model.classifier.header.pointwiseConv.conv.weight;
    const b = copy.classifier.header.pointwiseConv.conv.weight;
    const relative = tf.tidy(() => tf.max(tf.div(tf.abs(tf.sub(a, b)), tf.add(tf.abs(a), 1e-3))).dataSync()[0]);
    expect(relative).toBeLessThan(1e-3);
    copy.dispose();
  });

  describe('a failed load changes nothing', () => {
    it.each([
      ['a missing key', (t: Record<string, tf.Tensor>) => void delete t['classifier.header.pointwise_conv.conv.bias'], /missing keys \(1\): classifier\.header\.pointwise_conv\.conv\.bias/],
      ['an unexpected key', (t: Record<string, tf.Tensor>) => void (t['bifpn.0.extra'] = tf.zeros([2])), /unexpected keys \(1\): bifpn\.0\.extra/],
      [
        'a mis-shaped key',
        (t: Record<string, tf.Tensor>) => void (t['regressor.header.pointwise_conv.conv.bias'] = tf.zeros([35])),
        /regressor\.header\.pointwise_conv\.conv\.bias: expected shape \[36\], got \[35\]/,
      ],
    ])('%s -> StateDictError', (_, edit, message) => {
      expectLoadRejected(rewrite(bytes, edit), message);
    });

    it('a truncated file -> FileFormatError naming the file', () => {
      const fresh = new EfficientDet({ compoundCoef: 0, seed: 7 });
      const before = snapshot(fresh);
      const truncated = bytes.subarray(0, bytes.length - 1000);
      expect(() => loadCheckpoint(fresh, truncated, { source: 'model.safetensors' })).toThrow(FileFormatError);
      expect(() => loadCheckpoint(fresh, truncated, { source: 'model.safetensors' })).toThrow(/model\.safetensors.*truncated/);
      expect(snapshot(fresh)).toEqual(before);
      fresh.dispose();
    });

    it('a checkpoint of another preset -> StateDictError', async () => {
      const d1 = new EfficientDet({ compoundCoef: 1 });
      const file = await saveCheckpoint(d1);
      d1.dispose();
      const fresh = new EfficientDet({ compoundCoef: 0, seed: 7 });
      const before = snapshot(fresh);
      expect(() => loadCheckpoint(fresh, file)).toThrow(StateDictError);
      expect(snapshot(fresh)).toEqual(before);
      fresh.dispose();
    });

    it('a file of unrelated tensors -> FileFormatError', () => {
      const unrelated = writeSafetensorsSync({ 'layer.weight': tf.zeros([2]) });
      const fresh = new EfficientDet({ compoundCoef: 0, seed: 7 });
      expect(() => loadCheckpoint(fresh, unrelated)).toThrow(/no known EfficientDet layout/);
      fresh.dispose();
    });
  });
});
