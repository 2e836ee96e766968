import { InvalidArgumentError } from '@edet/tensor';

import { decodeBlockString } from './block-string.js';
import { type EfficientNetOptions, type ResolvedEfficientNetOptions, resolveEfficientNetOptions } from './options.js';
import { roundFilters, roundRepeats } from './scaling.js';

/** Everything needed to build one MBConv block, after scaling. */
export interface MBConvConfig {
  /** Flat index in `_blocks`. */
  readonly index: number;
  /** Stage (block-definition row) it belongs to, 1-based: `stages[stage]` holds it. */
  readonly stage: number;
  readonly inChannels: number;
  /** Width after the expand conv (equals `inChannels` when the expand ratio is 1 and there is no expand conv). */
  readonly expandedChannels: number;
  readonly outChannels: number;
  readonly kernelSize: number;
  /** Stride of the depthwise conv. */
  readonly stride: number;
  /** Whether `_expand_conv` / `_bn0` exist (expand ratio other than 1). */
  readonly hasExpand: boolean;
  /** Squeezed SE width `max(1, int(inChannels * seRatio))`, or 0 for no SE. */
  readonly seChannels: number;
  /** Identity skip: stride 1, `inChannels === outChannels`, and not `noskip`. */
  readonly residual: boolean;
  /** Drop-connect rate of this block in training mode: `dropConnectRate * index / numBlocks`. */
  readonly dropConnectRate: number;
}

/** One feature map the backbone hands the detector. */
export interface FeatureInfo {
  /** Channels of the map. */
  readonly channels: number;
  /** Input size divided by the map size (8, 16, 32 for C3, C4, C5). */
  readonly reduction: number;
  /** Flat index of the block whose output it is. */
  readonly blockIndex: number;
}

/** The scaled architecture of one EfficientNet: pure data, computed without allocating tensors. */
export interface EfficientNetPlan {
  readonly options: ResolvedEfficientNetOptions;
  /** Output channels of `_conv_stem` (`roundFilters(32)`). */
  readonly stemChannels: number;
  readonly blocks: readonly MBConvConfig[];
  /** Number of block stages (rows of the block strings); `stages` of a network has one more (the stem). */
  readonly stageCount: number;
  /** Output channels of `_conv_head` (`roundFilters(1280)`). */
  readonly headChannels: number;
  /** C3, C4, C5 taps (see `featureTaps`). */
  readonly featureInfo: readonly FeatureInfo[];
}

const STEM_CHANNELS = 32;
const HEAD_CHANNELS = 1280;

/** Scales the block strings of `options` into a list of blocks; validates the options on the way. */
export function planEfficientNet(options: EfficientNetOptions): EfficientNetPlan {
  const resolved = resolveEfficientNetOptions(options);
  const width = (filters: number) => roundFilters(filters, resolved.widthCoefficient);
  const rows = resolved.blockStrings.map(decodeBlockString);
  // Lite keeps the first and last stages' repeats (timm `fix_first_last`) and the stem width (`fix_stem`).
  const fixed = (rowIndex: number) => resolved.lite && (rowIndex === 0 || rowIndex === rows.length - 1);
  const repeatsOf = (rowIndex: number) => (fixed(rowIndex) ? rows[rowIndex].repeats : roundRepeats(rows[rowIndex].repeats, resolved.depthCoefficient));
  const numBlocks = rows.reduce((total, _, rowIndex) => total + repeatsOf(rowIndex), 0);
  const stemChannels = resolved.lite ? STEM_CHANNELS : width(STEM_CHANNELS);
  const blocks: MBConvConfig[] = [];
  rows.forEach((row, rowIndex) => {
    const outChannels = width(row.outputFilters);
    const repeats = repeatsOf(rowIndex);
    for (let r = 0; r < repeats; r++) {
      // Only a stage's first block changes width and resolution; its repeats map outChannels to itself. The
      // very first block reads the stem.
      const inChannels = blocks.length === 0 ? stemChannels : r === 0 ? width(row.inputFilters) : outChannels;
      const stride = r === 0 ? row.stride : 1;
      const index = blocks.length;
      blocks.push({
        index,
        stage: rowIndex + 1,
        inChannels,
        expandedChannels: inChannels * row.expandRatio,
        outChannels,
        kernelSize: row.kernelSize,
        stride,
        hasExpand: row.expandRatio !== 1,
        seChannels: row.seRatio === null ? 0 : Math.max(1, Math.floor(inChannels * row.seRatio)),
        residual: row.idSkip && stride === 1 && inChannels === outChannels,
        dropConnectRate: (resolved.dropConnectRate * index) / numBlocks,
      });
    }
  });
  return {
    options: resolved,
    stemChannels,
    blocks,
    stageCount: rows.length,
    headChannels: resolved.lite ? HEAD_CHANNELS : width(HEAD_CHANNELS),
    featureInfo: featureTaps(blocks),
  };
}

/**
 * The zylo117 tap rule: walking the blocks, record the previous block's output before every stride-2 block,
 * and the last block's output at the end. For B0 that records reductions 2, 4, 8, 16, 32 (blocks 0, 2, 4, 10,
 * 15); zylo117's backbone drops the first and its detector keeps the last three, which are returned here.
 */
export function featureTaps(blocks: readonly MBConvConfig[]): FeatureInfo[] {
  const recorded: FeatureInfo[] = [];
  let reduction = 2; // the stem's stride
  blocks.forEach((block, index) => {
    if (block.stride === 2 && index > 0) {
      recorded.push({ channels: blocks[index - 1].outChannels, reduction, blockIndex: index - 1 });
    }
    reduction *= block.stride;
    if (index === blocks.length - 1) recorded.push({ channels: block.outChannels, reduction, blockIndex: index });
  });
  if (recorded.length < 3) {
    throw new InvalidArgumentError('options.blockStrings', 'at least two stride-2 stages (three feature taps)', `${recorded.length} taps`);
  }
  return recorded.slice(-3);
}

/** Which part of the network to count: the whole classifier or the truncated backbone. */
export type EfficientNetPart = 'classifier' | 'backbone';

/**
 * Trainable parameters (conv kernels and biases, BN gamma/beta, fc; not BN running statistics) of the network
 * `options` describes, computed from the plan alone: no tensor is allocated, so B7 is as cheap as B0.
 * Equals `parameterCount()` of the built `EfficientNet` / `EfficientNetBackbone`.
 */
export function efficientNetParameterCount(options: EfficientNetOptions, part: EfficientNetPart = 'classifier'): number {
  const plan = planEfficientNet(options);
  const batchNorm = (channels: number) => 2 * channels;
  let total = 3 * 3 * 3 * plan.stemChannels + batchNorm(plan.stemChannels);
  for (const block of plan.blocks) {
    const expanded = block.expandedChannels;
    if (block.hasExpand) total += block.inChannels * expanded + batchNorm(expanded);
    total += block.kernelSize * block.kernelSize * expanded + batchNorm(expanded);
    if (block.seChannels > 0) total += 2 * expanded * block.seChannels + block.seChannels + expanded;
    total += expanded * block.outChannels + batchNorm(block.outChannels);
  }
  if (part === 'backbone') return total;
  const lastChannels = plan.blocks[plan.blocks.length - 1].outChannels;
  total += lastChannels * plan.headChannels + batchNorm(plan.headChannels);
  return total + plan.headChannels * plan.options.numClasses + plan.options.numClasses;
}
