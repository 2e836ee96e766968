import * as tf from '@tensorflow/tfjs-core';

import { BatchNorm2d, Module, ModuleList, NamedConv2d } from '@edet/tensor';

import { checkImageBatch } from './input.js';
import { MBConvBlock } from './mbconv.js';
import type { EfficientNetOptions } from './options.js';
import { type EfficientNetPlan, type FeatureInfo, planEfficientNet } from './plan.js';
import { type RandomSource, createRandom } from './random.js';
import { BlockStage, type EfficientNetStage, StemStage } from './stage.js';

/** C3, C4, C5: `[N, H/8, W/8, c3]`, `[N, H/16, W/16, c4]`, `[N, H/32, W/32, c5]` (sizes rounded up). */
export type FeaturePyramid = [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];

/**
 * What the classifier and the detector backbone share: `_conv_stem` (3x3 stride 2, no bias), `_bn0`, swish,
 * and `_blocks` (a flat `ModuleList` of `MBConvBlock`s), plus the stage views and the feature taps.
 * The network owns every variable; `dispose()` frees them (stage views included, see `EfficientNetStage`).
 */
export abstract class EfficientNetTrunk extends Module {
  /** The scaled architecture this network was built from. */
  readonly plan: EfficientNetPlan;
  readonly convStem: NamedConv2d;
  readonly bn0: BatchNorm2d;
  readonly blocks: ModuleList<MBConvBlock>;
  /**
   * `[stem, stage1, ..., stage7]`: views sharing this network's variables, each with its own local
   * `stateDict()` / `loadStateDict()`. Owned by the network; disposing a stage does nothing.
   */
  readonly stages: readonly EfficientNetStage[];
  /** C3, C4, C5: channels, reduction (8, 16, 32) and the flat index of the block each comes from. */
  readonly featureInfo: readonly FeatureInfo[];
  /** Draws drop-connect (and dropout) masks; seeded by `options.seed`. */
  protected readonly random: RandomSource;

  constructor(options: EfficientNetOptions) {
    super();
    // The plan validates the options before any variable is allocated.
    this.plan = planEfficientNet(options);
    this.random = createRandom(this.plan.options.seed);
    this.featureInfo = this.plan.featureInfo;
    this.convStem = this.addModule('_conv_stem', new NamedConv2d(3, this.plan.stemChannels, 3, { stride: 2, bias: false }));
    this.bn0 = this.addModule('_bn0', new BatchNorm2d(this.plan.stemChannels));
    this.blocks = this.addModule('_blocks', new ModuleList(this.plan.blocks.map((config) => new MBConvBlock(config, this.random, this.plan.options.activation))));
    const stages: EfficientNetStage[] = [new StemStage(this.convStem, this.bn0, this.plan.options.activation)];
    for (let stage = 1; stage <= this.plan.stageCount; stage++) {
      stages.push(new BlockStage(stage, this.blocks.items.filter((block) => block.config.stage === stage)));
    }
    this.stages = stages;
  }

  /**
   * C3, C4, C5 of `x` (`[N, H, W, 3]`, NHWC, normalised RGB), the maps `featureInfo` describes.
   * Returns new tensors the caller disposes. Throws `InvalidArgumentError` naming `x` on a bad input.
   */
  extractPyramid(x: tf.Tensor4D): FeaturePyramid {
    const [c3, c4, c5] = this.runTrunk(x, this.featureInfo.map((info) => info.blockIndex));
    return [c3, c4, c5];
  }

  /**
   * Runs stem and blocks, returning the outputs of the blocks `tapIndices` names (in that order).
   * Intermediate maps are freed as soon as the next block has consumed them, which bounds peak memory at
   * large inputs; the outer tidy still cleans up if a block throws.
   */
  protected runTrunk(x: tf.Tensor4D, tapIndices: readonly number[]): tf.Tensor4D[] {
    checkImageBatch(x, 'x', { checkFinite: false });
    return tf.tidy(() => {
      const wanted = new Set(tapIndices);
      const taps = new Map<number, tf.Tensor4D>();
      let h = this.stages[0].forward(x);
      this.blocks.items.forEach((block, index) => {
        const next = block.forward(h);
        if (!wanted.has(index - 1)) h.dispose();
        if (wanted.has(index)) taps.set(index, next);
        h = next;
      });
      return tapIndices.map((index) => taps.get(index) as tf.Tensor4D);
    });
  }
}
