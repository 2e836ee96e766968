import { readFileSync } from 'node:fs';

import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  EfficientDet,
  type EfficientDetConfig,
  detectKeyLayout,
  keyLayouts,
  loadCheckpoint,
  rwightmanKeyMap,
  saveCheckpoint,
} from '@edet/model';
import { readSafetensors, readSafetensorsHeader } from '@edet/safetensors';
import { InvalidArgumentError, Module, type StateDict, StateDictError } from '@edet/tensor';

import { sharedPath } from '../../tensor/test/shared-fixtures.js';
import { expectLoadRejected, rewrite, tensorsEqual } from './support/checkpoint-files.js';

/** Every model key -> file key -> model key must be the identity, and both directions injective. */
function checkBijection(model: EfficientDet): { pairs: number; modelOnly: number } {
  const map = rwightmanKeyMap(model);
  const modelKeys = model.namedEntries().map((e) => e.name);
  const toFile = new Map(map.pairs.map((p) => [p.model, p.file]));
  const toModel = new Map(map.pairs.map((p) => [p.file, p.model]));
  expect(toFile.size).toBe(map.pairs.length);
  expect(toModel.size).toBe(map.pairs.length);
  for (const key of modelKeys) {
    if (map.modelOnly.includes(key)) {
      expect(toFile.has(key), key).toBe(false);
      continue;
    }
    const file = toFile.get(key);
    expect(file, key).toBeDefined();
    expect(toModel.get(file as string)).toBe(key);
  }
  expect(map.pairs.length + map.modelOnly.length).toBe(modelKeys.length);
  // No file key keeps an edet-only name.
  for (const { file } of map.pairs) expect(file).toMatch(/^(backbone|fpn|class_net|box_net)\./);
  return { pairs: map.pairs.length, modelOnly: map.modelOnly.length };
}

/** Overwrites every parameter and buffer with distinct seeded values (running_var kept positive). */
function randomize(model: EfficientDet, seed: number): void {
  const state = model.stateDict();
  const random: StateDict = {};
  let i = 0;
  for (const [name, t] of Object.entries(state)) {
    const u = tf.randomUniform(t.shape, 0.5, 1.5, 'float32', seed + i++);
    random[name] = name.endsWith('running_var') ? u : tf.tidy(() => tf.sub(u, 1));
    if (random[name] !== u) u.dispose();
  }
  model.loadStateDict(random);
  tf.dispose([...Object.values(state), ...Object.values(random)]);
}

function expectSameState(a: EfficientDet, b: EfficientDet, except: (key: string) => boolean = () => false): void {
  const sa = a.stateDict();
  const sb = b.stateDict();
  try {
    expect(Object.keys(sb)).toEqual(Object.keys(sa));
    for (const key of Object.keys(sa)) if (!except(key)) expect(tensorsEqual(sa[key], sb[key]), key).toBe(true);
  } finally {
    tf.dispose([...Object.values(sa), ...Object.values(sb)]);
  }
}

/** A narrow model with the topology of a large preset (fast to build). */
const narrow = (compoundCoef: number): EfficientDetConfig => ({ compoundCoef, backboneVariant: 0, fpnChannels: 8 });

describe('rwightman tf_efficientdet key layout: the mapping', () => {
  it.each([
    ['D0', { compoundCoef: 0 }, 676, 0],
    ['D1', { compoundCoef: 1, inputSize: 128 }, 868, 0],
    ['D3', { compoundCoef: 3, inputSize: 128 }, 1099, 0],
    // D6+ sum their inputs: edet still has 3 layers x 8 fusion weights that rwightman's bifpn_sum lacks.
    ['D6 topology (narrow)', narrow(6), 1024, 64],
    ['D7x topology (narrow)', narrow(8), 1176, 64],
  ] as [string, EfficientDetConfig, number, number][])('%s: model -> file -> model is the identity', (_, config, pairs, modelOnly) => {
    const model = new EfficientDet(config);
    try {
      expect(checkBijection(model)).toEqual({ pairs, modelOnly });
    } finally {
      model.dispose();
    }
  });

  it('D0: names and shapes read from effdet/efficientdet.py, effdet/config/fpn_config.py and timm efficientnet', () => {
    const model = new EfficientDet({ compoundCoef: 0 });
    try {
      const map = rwightmanKeyMap(model);
      const toModel = new Map(map.pairs.map((p) => [p.file, p.model]));
      const shapes = new Map(Object.entries(model.stateDict()).map(([k, t]) => [k, (t.dispose(), t.shape)]));
      const expected: [string, string, number[]][] = [
        // timm EfficientNetFeatures: conv_stem / bn1 (timm/models/efficientnet.py).
        ['backbone.conv_stem.weight', 'backbone_net.model._conv_stem.conv.weight', [32, 3, 3, 3]],
        ['backbone.bn1.running_var', 'backbone_net.model._bn0.running_var', [32]],
        // Stage 0 is a DepthwiseSeparableConv: conv_dw, bn1, se.conv_reduce/conv_expand, conv_pw, bn2
        // (timm/models/_efficientnet_blocks.py; SqueezeExcite has conv_reduce/conv_expand in timm 0.9.2 and 1.x).
        ['backbone.blocks.0.0.conv_dw.weight', 'backbone_net.model._blocks.0._depthwise_conv.conv.weight', [32, 1, 3, 3]],
        ['backbone.blocks.0.0.se.conv_reduce.weight', 'backbone_net.model._blocks.0._se_reduce.conv.weight', [8, 32, 1, 1]],
        ['backbone.blocks.0.0.conv_pw.weight', 'backbone_net.model._blocks.0._project_conv.conv.weight', [16, 32, 1, 1]],
        // InvertedResidual: conv_pw (expand), bn1, conv_dw, bn2, se, conv_pwl (project), bn3.
        ['backbone.blocks.1.0.conv_pw.weight', 'backbone_net.model._blocks.1._expand_conv.conv.weight', [96, 16, 1, 1]],
        ['backbone.blocks.1.0.bn2.weight', 'backbone_net.model._blocks.1._bn1.weight', [96]],
        ['backbone.blocks.1.0.se.conv_expand.bias', 'backbone_net.model._blocks.1._se_expand.conv.bias', [96]],
        ['backbone.blocks.1.0.conv_pwl.weight', 'backbone_net.model._blocks.1._project_conv.conv.weight', [24, 96, 1, 1]],
        ['backbone.blocks.2.1.bn3.running_mean', 'backbone_net.model._blocks.4._bn2.running_mean', [40]],
        ['backbone.blocks.6.0.conv_pwl.weight', 'backbone_net.model._blocks.15._project_conv.conv.weight', [320, 1152, 1, 1]],
        // BiFpn.resample is keyed by level index (P6 = 3), a ResampleFeatureMap with a ConvBnAct2d `conv`.
        ['fpn.resample.3.conv.conv.weight', 'bifpn.0.p5_to_p6.0.conv.weight', [64, 320, 1, 1]],
        ['fpn.resample.3.conv.conv.bias', 'bifpn.0.p5_to_p6.0.conv.bias', [64]],
        ['fpn.resample.3.conv.bn.running_var', 'bifpn.0.p5_to_p6.1.running_var', [64]],
        // bifpn_config node 0 is P6 top-down with inputs_offsets [3, 4] (P6_in, P7_in).
        ['fpn.cell.0.fnode.0.combine.edge_weights', 'bifpn.0.p6_w1', [2]],
        ['fpn.cell.0.fnode.0.after_combine.conv.conv_dw.weight', 'bifpn.0.conv6_up.depthwise_conv.conv.weight', [64, 1, 3, 3]],
        ['fpn.cell.0.fnode.0.after_combine.conv.conv_pw.bias', 'bifpn.0.conv6_up.pointwise_conv.conv.bias', [64]],
        // Nodes 1..3 (P5, P4, P3 top-down) read backbone offsets 2, 1, 0 through a resample conv.
        ['fpn.cell.0.fnode.1.combine.resample.2.conv.conv.weight', 'bifpn.0.p5_down_channel.0.conv.weight', [64, 320, 1, 1]],
        ['fpn.cell.0.fnode.2.combine.resample.1.conv.bn.weight', 'bifpn.0.p4_down_channel.1.weight', [64]],
        ['fpn.cell.0.fnode.3.combine.resample.0.conv.conv.weight', 'bifpn.0.p3_down_channel.0.conv.weight', [64, 40, 1, 1]],
        // Nodes 4, 5 (P4, P5 bottom-up, inputs_offsets [1, 7, 8] and [2, 6, 9]) have their own convs.
        ['fpn.cell.0.fnode.4.combine.edge_weights', 'bifpn.0.p4_w2', [3]],
        ['fpn.cell.0.fnode.4.combine.resample.1.conv.conv.weight', 'bifpn.0.p4_down_channel_2.0.conv.weight', [64, 112, 1, 1]],
        ['fpn.cell.0.fnode.5.combine.resample.2.conv.conv.bias', 'bifpn.0.p5_down_channel_2.0.conv.bias', [64]],
        ['fpn.cell.2.fnode.7.combine.edge_weights', 'bifpn.2.p7_w2', [2]],
        ['fpn.cell.2.fnode.7.after_combine.conv.bn.running_var', 'bifpn.2.conv7_down.bn.running_var', [64]],
        // HeadNet: conv_rep[j], bn_rep[repeat][level] wrapped in Sequential('bn'), predict.
        ['class_net.conv_rep.2.conv_pw.weight', 'classifier.conv_list.2.pointwise_conv.conv.weight', [64, 64, 1, 1]],
        ['class_net.bn_rep.2.4.bn.running_var', 'classifier.bn_list.4.2.running_var', [64]],
        ['box_net.bn_rep.0.3.bn.weight', 'regressor.bn_list.3.0.weight', [64]],
        ['class_net.predict.conv_pw.weight', 'classifier.header.pointwise_conv.conv.weight', [810, 64, 1, 1]],
        ['box_net.predict.conv_pw.bias', 'regressor.header.pointwise_conv.conv.bias', [36]],
        ['box_net.predict.conv_dw.weight', 'regressor.header.depthwise_conv.conv.weight', [64, 1, 3, 3]],
      ];
      for (const [file, modelKey, shape] of expected) {
        expect(toModel.get(file), file).toBe(modelKey);
        expect(shapes.get(modelKey), modelKey).toEqual(shape);
      }
      // Later cells read only BiFPN-width maps, so they have no resample convs; P7 (resample.4) is a bare pool.
      const files = map.pairs.map((p) => p.file);
      expect(files.filter((f) => /^fpn\.cell\.[12]\..*combine\.resample/.test(f))).toEqual([]);
      expect(files.filter((f) => f.startsWith('fpn.resample.4'))).toEqual([]);
      expect(files.filter((f) => f.includes('combine.resample.')).length).toBe(5 * 6);
    } finally {
      model.dispose();
    }
  });

  it('D7x (narrow): P8 nodes and no edge weights', () => {
    const model = new EfficientDet(narrow(8));
    try {
      const map = rwightmanKeyMap(model);
      const toModel = new Map(map.pairs.map((p) => [p.file, p.model]));
      // Levels 3..8: node 0 is P7 top-down, node 9 is P8 bottom-up; P3 top-down (node 4) reads offset 0.
      expect(toModel.get('fpn.cell.0.fnode.0.after_combine.conv.conv_dw.weight')).toBe('bifpn.0.conv7_up.depthwise_conv.conv.weight');
      expect(toModel.get('fpn.cell.7.fnode.9.after_combine.conv.bn.bias')).toBe('bifpn.7.conv8_down.bn.bias');
      expect(toModel.get('fpn.cell.0.fnode.4.combine.resample.0.conv.conv.weight')).toBe('bifpn.0.p3_down_channel.0.conv.weight');
      expect(toModel.get('class_net.bn_rep.4.5.bn.weight')).toBe('classifier.bn_list.5.4.weight');
      expect(map.pairs.some((p) => p.file.endsWith('edge_weights'))).toBe(false);
      expect(map.modelOnly).toContain('bifpn.7.p7_w2');
    } finally {
      model.dispose();
    }
  });

  it('layout detection and a non-EfficientDet module', () => {
    expect(detectKeyLayout(['backbone.conv_stem.weight', 'fpn.resample.3.conv.conv.weight'])).toBe('rwightman');
    expect(detectKeyLayout(['backbone_net.model._conv_stem.conv.weight'])).toBe('zylo117');
    expect(() => rwightmanKeyMap(new Module())).toThrow(InvalidArgumentError);
  });
});

describe('rwightman tf_efficientdet key layout: save and load', () => {
  let source: EfficientDet;
  let bytes: Uint8Array;

  beforeAll(async () => {
    source = new EfficientDet({ compoundCoef: 0, seed: 11 });
    randomize(source, 1000);
    const start = tf.memory().numTensors;
    bytes = await saveCheckpoint(source, { layout: 'rwightman' });
    expect(tf.memory().numTensors).toBe(start);
  });
  afterAll(() => source?.dispose());

  it('writes rwightman names in rwightman state_dict order, with metadata', () => {
    const header = readSafetensorsHeader(bytes);
    const names = header.entries.map((e) => e.name);
    expect(names.length).toBe(676);
    expect(names[0]).toBe('backbone.conv_stem.weight');
    expect(names.findIndex((n) => n.startsWith('fpn.'))).toBeLessThan(names.findIndex((n) => n.startsWith('class_net.')));
    expect(names.findIndex((n) => n.startsWith('class_net.'))).toBeLessThan(names.findIndex((n) => n.startsWith('box_net.')));
    expect(names.some((n) => n.startsWith('bifpn.') || n.startsWith('backbone_net.'))).toBe(false);
    expect(header.metadata.layout).toBe('rwightman');
  });

  it('loads into a differently seeded D0 (layout detected): every tensor and the forward output identical', () => {
    const target = new EfficientDet({ compoundCoef: 0, seed: 99 });
    const x = tf.randomNormal([1, 3, 128, 128], 0, 1, 'float32', 5) as tf.Tensor4D;
    try {
      expect(tensorsEqual(source.regressor.bnList.at(2).at(1).runningVar, target.regressor.bnList.at(2).at(1).runningVar)).toBe(false);
      const start = tf.memory().numTensors;
      // The file records the source's padding (zero), which wins over the layout's default (-inf).
      expect(loadCheckpoint(target, bytes)).toEqual({ layout: 'rwightman', poolPadding: 'zero' });
      expect(tf.memory().numTensors).toBe(start);
      expectSameState(source, target);
      const a = source.forward(x);
      const b = target.forward(x);
      a.forEach((t, i) => expect(tensorsEqual(t, b[i]), `output ${i}`).toBe(true));
      tf.dispose([...a, ...b]);
    } finally {
      x.dispose();
      target.dispose();
    }
  });

  it('the synthetic zylo117 D0 survives zylo117 -> rwightman -> model unchanged', async () => {
    const official = readFileSync(sharedPath('weights', 'efficientdet-d0-synthetic.safetensors'));
    const a = new EfficientDet({ compoundCoef: 0 });
    const b = new EfficientDet({ compoundCoef: 0, seed: 3 });
    try {
      loadCheckpoint(a, official);
      loadCheckpoint(b, await saveCheckpoint(a, { layout: 'rwightman' }));
      expectSameState(a, b);
      // And back: the zylo117 file written from b has the official names and values.
      const back = readSafetensors(await saveCheckpoint(b));
      const original = readSafetensors(official);
      try {
        expect(Object.keys(back.tensors)).toEqual(Object.keys(original.tensors));
        for (const [k, t] of Object.entries(original.tensors)) expect(tensorsEqual(t, back.tensors[k]), k).toBe(true);
      } finally {
        tf.dispose([...Object.values(back.tensors), ...Object.values(original.tensors)]);
      }
    } finally {
      a.dispose();
      b.dispose();
    }
  });

  it('accepts num_batches_tracked and the level-first head BN layout (bn_rep.{level}.{repeat}.*)', () => {
    const file = rewrite(bytes, (t) => {
      for (const key of Object.keys(t)) {
        const m = /^(class_net|box_net)\.bn_rep\.(\d+)\.(\d+)\.bn\.(.+)$/.exec(key);
        if (m) {
          t[`${m[1]}.bn_rep.${m[3]}.${m[2]}.${m[4]}`] = t[key];
          delete t[key];
        }
        if (key.endsWith('.running_var')) t[key.replace(/running_var$/, 'num_batches_tracked')] = tf.scalar(1234, 'int32');
      }
    });
    expect(readSafetensorsHeader(file).entries.some((e) => e.name === 'class_net.bn_rep.4.2.running_var')).toBe(true);
    const target = new EfficientDet({ compoundCoef: 0, seed: 5 });
    try {
      const start = tf.memory().numTensors;
      loadCheckpoint(target, file);
      expect(tf.memory().numTensors).toBe(start);
      expectSameState(source, target);
    } finally {
      target.dispose();
    }
  });

  describe('a bad rwightman file fails with StateDictError and changes nothing', () => {
    it.each([
      ['a missing key', (t: Record<string, tf.Tensor>) => void delete t['class_net.predict.conv_pw.bias'], /missing keys \(1\): class_net\.predict\.conv_pw\.bias/],
      [
        'an unexpected key',
        (t: Record<string, tf.Tensor>) => void (t['fpn.cell.1.fnode.1.combine.resample.2.conv.conv.bias'] = tf.zeros([64])),
        /unexpected keys \(1\): fpn\.cell\.1\.fnode\.1\.combine\.resample\.2\.conv\.conv\.bias/,
      ],
      [
        'a mis-shaped key',
        (t: Record<string, tf.Tensor>) => void (t['fpn.cell.0.fnode.4.combine.edge_weights'] = tf.ones([2])),
        /fpn\.cell\.0\.fnode\.4\.combine\.edge_weights: expected shape \[3\], got \[2\]/,
      ],
      [
        'a tensor under both head BN layouts',
        (t: Record<string, tf.Tensor>) => void (t['box_net.bn_rep.1.0.weight'] = tf.ones([64])),
        /unexpected keys \(1\): box_net\.bn_rep\.1\.0\.weight \(same tensor as box_net\.bn_rep\.0\.1\.bn\.weight\)/,
      ],
      [
        'a non-tf_ model (no redundant biases)',
        (t: Record<string, tf.Tensor>) => {
          for (const key of Object.keys(t)) {
            if (/(after_combine\.conv\.conv_pw|conv_rep\.\d+\.conv_pw|resample\.\d+\.conv\.conv)\.bias$/.test(key)) delete t[key];
          }
        },
        /missing keys \(36\)[\s\S]*non-tf_ rwightman model/,
      ],
    ] as [string, (t: Record<string, tf.Tensor>) => void, RegExp][])('%s', (_, edit, message) => {
      expectLoadRejected(rewrite(bytes, edit), message);
    });
  });

  it('D6 topology: fusion weights are not written, and keep the loading model own values', async () => {
    const a = new EfficientDet({ ...narrow(6), seed: 1 });
    const b = new EfficientDet({ ...narrow(6), seed: 2 });
    try {
      randomize(a, 2000);
      const weightsBefore = b.bifpn.at(1).namedEntries().find((e) => e.name === 'p4_w2')?.variable.dataSync().slice();
      const file = await saveCheckpoint(a, { layout: 'rwightman' });
      const names = readSafetensorsHeader(file).entries.map((e) => e.name);
      expect(names.some((n) => n.includes('edge_weights'))).toBe(false);
      const start = tf.memory().numTensors;
      loadCheckpoint(b, file, { layout: 'rwightman' });
      expect(tf.memory().numTensors).toBe(start);
      expectSameState(a, b, (key) => /^bifpn\.\d+\.p\d_w\d$/.test(key));
      expect(b.bifpn.at(1).namedEntries().find((e) => e.name === 'p4_w2')?.variable.dataSync()).toEqual(weightsBefore);
    } finally {
      a.dispose();
      b.dispose();
    }
  });

  it('toFile rejects keys that are not the model own', () => {
    const state = { 'bifpn.0.nonsense': tf.zeros([1]) };
    expect(() => keyLayouts.rwightman.toFile(state, source)).toThrow(StateDictError);
    tf.dispose(Object.values(state));
  });
});
