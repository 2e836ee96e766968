import { EfficientNetTrunk } from '@edet/backbone-efficientnet';
import { BiFpn } from '@edet/bifpn';
import { HeadTower } from '@edet/heads';
import {
  InvalidArgumentError,
  type Module,
  type StateDict,
  StateDictError,
  checkpointShape,
  formatShape,
  toCheckpointLayout,
} from '@edet/tensor';

import type { KeyLayoutAdapter } from './key-layouts.js';

/**
 * Key names of rwightman/efficientdet-pytorch `tf_efficientdet_d*` checkpoints (the ports of the official TF
 * weights: TF "SAME" padding, BN eps 1e-3, `redundant_bias=True`, `apply_resample_bn=True`) and their timm
 * `tf_efficientnet_b*` backbones, mapped one to one onto edet's own (zylo117) keys. See CHECKPOINTS.md for the
 * rules and for what differs numerically between the two implementations.
 *
 * Both sides are PyTorch layouts, so tensors pass through untouched: only names change.
 */

/** One tensor under its two names. */
export interface RwightmanKeyPair {
  /** edet / zylo117 key, e.g. `bifpn.0.conv6_up.bn.weight`. */
  readonly model: string;
  /** rwightman key, e.g. `fpn.cell.0.fnode.0.after_combine.conv.bn.weight`. */
  readonly file: string;
}

/** The complete key correspondence of one model. */
export interface RwightmanKeyMap {
  /** Every tensor that both layouts have, in rwightman `state_dict` order (backbone, fpn, class_net, box_net). */
  readonly pairs: readonly RwightmanKeyPair[];
  /**
   * Model keys with no rwightman counterpart: the fusion weights (`p6_w1`, ...) of a BiFPN that sums its
   * inputs without weights (D6, D7, D7x). The model registers but never reads them; rwightman's `bifpn_sum`
   * cells have no `edge_weights`. Not written; on load they keep the model's current values.
   */
  readonly modelOnly: readonly string[];
  /**
   * Alternative file names accepted on load: the head batch norms in rwightman's level-first layout
   * (`head_bn_level_first=True`, `bn_rep.{level}.{repeat}.weight`), as `file name -> model key`.
   */
  readonly aliases: ReadonlyMap<string, string>;
}

/** How the leaves (parameter names under a module) of one edet module are renamed. */
type LeafRule = 'conv' | 'bn' | 'separable' | 'projection';

const BN_LEAVES = new Set(['weight', 'bias', 'running_mean', 'running_var']);

function renameLeaf(rule: LeafRule, leaf: string): string | null {
  switch (rule) {
    case 'bn':
      return BN_LEAVES.has(leaf) ? leaf : null;
    case 'conv':
      // NamedConv2d / NamedDepthwiseConv2d `conv.weight` -> a bare torch conv's `weight`.
      return leaf === 'conv.weight' || leaf === 'conv.bias' ? leaf.slice('conv.'.length) : null;
    case 'separable':
      // SeparableConvBlock -> effdet SeparableConv2d (`conv_dw`, `conv_pw`, `bn`).
      if (leaf === 'depthwise_conv.conv.weight') return 'conv_dw.weight';
      if (leaf === 'pointwise_conv.conv.weight' || leaf === 'pointwise_conv.conv.bias') {
        return `conv_pw.${leaf.slice('pointwise_conv.conv.'.length)}`;
      }
      if (leaf.startsWith('bn.') && BN_LEAVES.has(leaf.slice(3))) return leaf;
      return null;
    case 'projection':
      // nn.Sequential(conv, BN) `0.*` / `1.*` -> ResampleFeatureMap's ConvBnAct2d `conv.conv.*` / `conv.bn.*`.
      if (leaf === '0.conv.weight' || leaf === '0.conv.bias') return `conv.conv.${leaf.slice('0.conv.'.length)}`;
      if (leaf.startsWith('1.') && BN_LEAVES.has(leaf.slice(2))) return `conv.bn.${leaf.slice(2)}`;
      return null;
  }
}

function notAnEfficientDet(detail: string): InvalidArgumentError {
  return new InvalidArgumentError('model', 'an EfficientDet (children backbone_net.model, bifpn, classifier, regressor)', detail);
}

function child<T>(model: Module, path: string, type: abstract new (...args: never[]) => T): T {
  let module: Module;
  try {
    module = model.getModule(path);
  } catch {
    throw notAnEfficientDet(`a ${model.constructor.name} without '${path}'`);
  }
  if (!(module instanceof type)) throw notAnEfficientDet(`'${path}' is a ${module.constructor.name}`);
  return module;
}

/** Thrown for models the rwightman layout cannot express; names the reason. */
function unsupported(reason: string): never {
  throw new StateDictError(`this model has no rwightman tf_efficientdet key layout: ${reason}`);
}

/**
 * The key correspondence for `model` (an `EfficientDet`), derived from its structure: the backbone plan's
 * stages, the BiFPN wiring and the head sizes. Every key of `model.stateDict()` is either in `pairs` or in
 * `modelOnly`. Throws `StateDictError` for a configuration rwightman's layout cannot express.
 */
export function rwightmanKeyMap(model: Module): RwightmanKeyMap {
  const pairs: RwightmanKeyPair[] = [];
  const modelOnly: string[] = [];
  const aliases = new Map<string, string>();

  /** Adds every entry of the model module at `modelPrefix` under `filePrefix`, renaming leaves by `rule`. */
  const add = (modelPrefix: string, filePrefix: string, rule: LeafRule): void => {
    for (const entry of model.getModule(modelPrefix).namedEntries()) {
      const leaf = renameLeaf(rule, entry.name);
      if (leaf === null) throw new Error(`rwightman layout: no rule for '${modelPrefix}.${entry.name}' (${rule})`);
      pairs.push({ model: `${modelPrefix}.${entry.name}`, file: `${filePrefix}.${leaf}` });
    }
  };

  // Backbone: timm EfficientNetFeatures (`backbone.conv_stem`, `backbone.bn1`, `backbone.blocks.{stage}.{j}`).
  const backbone = child(model, 'backbone_net.model', EfficientNetTrunk);
  const bb = 'backbone_net.model';
  add(`${bb}._conv_stem`, 'backbone.conv_stem', 'conv');
  add(`${bb}._bn0`, 'backbone.bn1', 'bn');
  const inStage = new Map<number, number>();
  for (const block of backbone.plan.blocks) {
    const j = inStage.get(block.stage) ?? 0;
    inStage.set(block.stage, j + 1);
    const m = `${bb}._blocks.${block.index}`;
    const f = `backbone.blocks.${block.stage - 1}.${j}`;
    const se = () => {
      if (block.seChannels === 0) return;
      add(`${m}._se_reduce`, `${f}.se.conv_reduce`, 'conv');
      add(`${m}._se_expand`, `${f}.se.conv_expand`, 'conv');
    };
    if (block.hasExpand) {
      // timm InvertedResidual: conv_pw (expand) / bn1 / conv_dw / bn2 / se / conv_pwl (project) / bn3.
      add(`${m}._expand_conv`, `${f}.conv_pw`, 'conv');
      add(`${m}._bn0`, `${f}.bn1`, 'bn');
      add(`${m}._depthwise_conv`, `${f}.conv_dw`, 'conv');
      add(`${m}._bn1`, `${f}.bn2`, 'bn');
      se();
      add(`${m}._project_conv`, `${f}.conv_pwl`, 'conv');
      add(`${m}._bn2`, `${f}.bn3`, 'bn');
    } else {
      // timm DepthwiseSeparableConv (expand ratio 1): conv_dw / bn1 / se / conv_pw (project) / bn2.
      add(`${m}._depthwise_conv`, `${f}.conv_dw`, 'conv');
      add(`${m}._bn1`, `${f}.bn1`, 'bn');
      se();
      add(`${m}._project_conv`, `${f}.conv_pw`, 'conv');
      add(`${m}._bn2`, `${f}.bn2`, 'bn');
    }
  }

  // BiFPN: `fpn.resample.{level - minLevel}` makes P6 from C5; `fpn.cell.{L}.fnode.{n}` are the fusion nodes
  // in effdet fpn_config order (top-down maxLevel-1..minLevel, then bottom-up minLevel+1..maxLevel), which is
  // the order of edet's `bifpnTopology`.
  const bifpn = child(model, 'bifpn', BiFpn);
  const { minLevel } = bifpn;
  const backboneChannels = bifpn.options.backboneChannels;
  const fpnChannels = bifpn.options.channels;
  const backboneLevels = backboneChannels.length; // C3, C4, C5 -> offsets 0, 1, 2
  backboneChannels.forEach((channels, i) => {
    // effdet only creates a resample conv where the widths differ; edet always has one.
    if (channels === fpnChannels) unsupported(`backbone level ${minLevel + i} already has the BiFPN width ${fpnChannels}`);
  });
  // effdet keys `fpn.resample` by level index: P6 (= minLevel + 3) is `resample.3`; P7 (and P8) are plain
  // max-pools without parameters.
  add('bifpn.0.p5_to_p6', `fpn.resample.${backboneLevels}`, 'projection');
  bifpn.items.forEach((layer, L) => {
    const weighted = layer.options.weightedFusion;
    const fusionWeights = layer.namedEntries().filter((e) => /^p\d+_w\d+$/.test(e.name));
    if (!weighted) modelOnly.push(...fusionWeights.map((e) => `bifpn.${L}.${e.name}`));
    layer.nodes.forEach((node, n) => {
      const f = `fpn.cell.${L}.fnode.${n}`;
      if (weighted) {
        const weights = fusionWeights.find((e) => e.name === node.weightName);
        if (!weights || weights.variable.size !== node.inputs.length) {
          unsupported(`weighted fusion node ${node.convName} of a P${minLevel}..P${bifpn.maxLevel} BiFPN has no matching fusion weights`);
        }
        pairs.push({ model: `bifpn.${L}.${node.weightName}`, file: `${f}.combine.edge_weights` });
      }
      if (layer.isFirst) {
        for (const input of node.inputs) {
          const offset = input.level - minLevel;
          if (input.source !== 'input' || offset >= backboneLevels) continue;
          // A backbone map read by this node: its own lateral projection (effdet: one resample conv per reader).
          const name = node.pass === 'topDown' ? `p${input.level}_down_channel` : `p${input.level}_down_channel_2`;
          add(`bifpn.0.${name}`, `${f}.combine.resample.${offset}`, 'projection');
        }
      }
      add(`bifpn.${L}.${node.convName}`, `${f}.after_combine.conv`, 'separable');
    });
  });

  // Heads: effdet HeadNet, class_net before box_net. `bn_rep` is [repeat][level] with an extra `.bn`
  // (nn.Sequential) level; edet's `bn_list` is [level][layer].
  for (const [modelName, fileName] of [
    ['classifier', 'class_net'],
    ['regressor', 'box_net'],
  ] as const) {
    const head = child(model, modelName, HeadTower);
    const { layers, levels } = head.options;
    for (let j = 0; j < layers; j++) add(`${modelName}.conv_list.${j}`, `${fileName}.conv_rep.${j}`, 'separable');
    for (let j = 0; j < layers; j++) {
      for (let level = 0; level < levels; level++) {
        const m = `${modelName}.bn_list.${level}.${j}`;
        add(m, `${fileName}.bn_rep.${j}.${level}.bn`, 'bn');
        for (const leaf of BN_LEAVES) aliases.set(`${fileName}.bn_rep.${level}.${j}.${leaf}`, `${m}.${leaf}`);
      }
    }
    add(`${modelName}.header`, `${fileName}.predict`, 'separable');
  }

  // Every model entry must be named exactly once.
  const covered = new Map<string, number>();
  for (const key of [...pairs.map((p) => p.model), ...modelOnly]) covered.set(key, (covered.get(key) ?? 0) + 1);
  const names = model.namedEntries().map((e) => e.name);
  const uncovered = names.filter((name) => covered.get(name) !== 1);
  if (uncovered.length > 0 || covered.size !== names.length) {
    throw new Error(`rwightman layout: model keys not mapped exactly once: ${uncovered.slice(0, 8).join(', ')}`);
  }
  const files = new Set(pairs.map((p) => p.file));
  if (files.size !== pairs.length) throw new Error('rwightman layout: two model keys map to the same file key');
  return { pairs, modelOnly, aliases };
}

function preview(keys: readonly string[]): string {
  return keys.length <= 8 ? keys.join(', ') : `${keys.slice(0, 8).join(', ')}, ...`;
}

/** Conv biases that `redundant_bias=False` (every non-`tf_` rwightman model) leaves out. */
const REDUNDANT_BIAS = /(after_combine\.conv\.conv_pw\.bias|conv_rep\.\d+\.conv_pw\.bias|resample\.\d+\.conv\.conv\.bias)$/;

/**
 * rwightman `tf_efficientdet_d*` layout. `fromFile` renames and checks the whole file in its own key names
 * (missing, unexpected and mis-shaped keys, all reported together as a `StateDictError`); the tensors are the
 * file's own, except for the values it fills in for `modelOnly` keys (new tensors, copies of the model's).
 * BN `num_batches_tracked` counters (a training-only statistic) are accepted and ignored.
 */
export const rwightmanLayout: KeyLayoutAdapter = {
  fromFile(state: StateDict, model: Module): StateDict {
    const map = rwightmanKeyMap(model);
    const toModel = new Map(map.pairs.map((p) => [p.file, p.model]));
    const entries = new Map(model.namedEntries().map((e) => [e.name, e]));
    const mapped = new Map<string, string>(); // model key -> file key it came from
    const unexpected: string[] = [];
    const mismatched: string[] = [];
    for (const [fileKey, tensor] of Object.entries(state)) {
      const modelKey = toModel.get(fileKey) ?? map.aliases.get(fileKey);
      if (modelKey === undefined) {
        const owner = fileKey.endsWith('.num_batches_tracked') ? fileKey.slice(0, -'num_batches_tracked'.length) : null;
        if (owner !== null && (toModel.has(`${owner}running_var`) || map.aliases.has(`${owner}running_var`))) continue;
        unexpected.push(fileKey);
        continue;
      }
      const previous = mapped.get(modelKey);
      if (previous !== undefined) {
        unexpected.push(`${fileKey} (same tensor as ${previous})`);
        continue;
      }
      mapped.set(modelKey, fileKey);
      const entry = entries.get(modelKey);
      if (!entry) throw new Error(`rwightman layout: no model entry '${modelKey}'`);
      const expected = checkpointShape(entry.layout, entry.variable.shape);
      if (!arraysEqual(expected, tensor.shape)) {
        mismatched.push(`${fileKey}: expected shape ${formatShape(expected)}, got ${formatShape(tensor.shape)}`);
      }
    }
    const missing = map.pairs.filter((p) => !mapped.has(p.model)).map((p) => p.file);
    if (missing.length > 0 || unexpected.length > 0 || mismatched.length > 0) {
      const problems = [...mismatched];
      if (missing.length > 0) problems.push(`missing keys (${missing.length}): ${preview(missing)}`);
      if (unexpected.length > 0) problems.push(`unexpected keys (${unexpected.length}): ${preview(unexpected)}`);
      if (missing.length > 0 && missing.every((key) => REDUNDANT_BIAS.test(key))) {
        problems.push(
          'hint: only the redundant conv biases are missing, so this is a non-tf_ rwightman model ' +
            '(redundant_bias=False, symmetric padding, BN eps 1e-5), which edet does not implement',
        );
      }
      throw new StateDictError(
        `rwightman tf_efficientdet checkpoint does not fit ${model.constructor.name}; nothing was loaded.\n  ${problems.join('\n  ')}`,
        missing,
        unexpected,
        mismatched,
      );
    }
    const out: StateDict = {};
    for (const [modelKey, fileKey] of mapped) out[modelKey] = state[fileKey];
    for (const key of map.modelOnly) {
      const entry = entries.get(key);
      if (!entry) throw new Error(`rwightman layout: no model entry '${key}'`);
      out[key] = toCheckpointLayout(entry.layout, entry.variable);
    }
    return out;
  },

  toFile(state: StateDict, model: Module): StateDict {
    const map = rwightmanKeyMap(model);
    const known = new Set([...map.pairs.map((p) => p.model), ...map.modelOnly]);
    const unknown = Object.keys(state).filter((key) => !known.has(key));
    const missing = map.pairs.filter((p) => state[p.model] === undefined).map((p) => p.model);
    if (unknown.length > 0 || missing.length > 0) {
      throw new StateDictError(
        `state dict does not fit the rwightman layout of ${model.constructor.name}: ` +
          `${missing.length} missing (${preview(missing)}), ${unknown.length} unknown (${preview(unknown)})`,
        missing,
        unknown,
      );
    }
    const out: StateDict = {};
    for (const { model: modelKey, file } of map.pairs) out[file] = state[modelKey];
    return out;
  },
};

function arraysEqual(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
