import { describe, expect, it } from 'vitest';

import { InvalidArgumentError } from '@edet/tensor';

import {
  EFFICIENTNET_BLOCK_STRINGS,
  EFFICIENTNET_VARIANTS,
  type EfficientNetVariant,
  decodeBlockString,
  efficientNetParameterCount,
  efficientNetParams,
  encodeBlockString,
  planEfficientNet,
  roundFilters,
  roundRepeats,
} from '../src/index.js';

// efficientnet-pytorch `sum(p.numel() for p in model.parameters())`, 1000 classes.
const CLASSIFIER_PARAMETERS: Record<EfficientNetVariant, number> = {
  0: 5_288_548,
  1: 7_794_184,
  2: 9_109_994,
  3: 12_233_232,
  4: 19_341_616,
  5: 30_389_784,
  6: 43_040_704,
  7: 66_347_960,
};

// C3/C4/C5 widths of the zylo117 backbones (weights README, compound scaling table).
const PYRAMID_CHANNELS: Record<EfficientNetVariant, [number, number, number]> = {
  0: [40, 112, 320],
  1: [40, 112, 320],
  2: [48, 120, 352],
  3: [48, 136, 384],
  4: [56, 160, 448],
  5: [64, 176, 512],
  6: [72, 200, 576],
  7: [80, 224, 640],
};

describe('block strings', () => {
  it('decodes the first B0 row and round-trips every row', () => {
    expect(decodeBlockString('r1_k3_s11_e1_i32_o16_se0.25')).toEqual({
      repeats: 1,
      kernelSize: 3,
      stride: 1,
      expandRatio: 1,
      inputFilters: 32,
      outputFilters: 16,
      seRatio: 0.25,
      idSkip: true,
    });
    for (const row of EFFICIENTNET_BLOCK_STRINGS) expect(encodeBlockString(decodeBlockString(row))).toBe(row);
    expect(decodeBlockString('o8_i8_e6_s22_k5_r2_noskip')).toMatchObject({ stride: 2, idSkip: false, seRatio: null });
  });

  it('rejects malformed strings with InvalidArgumentError naming blockString', () => {
    for (const bad of ['r1_k3_s12_e1_i32_o16', 'r1_k3_s11_e1_i32', 'r1_k3_s11_e1_i32_o16_x4', 'r0_k3_s11_e1_i32_o16']) {
      expect(() => decodeBlockString(bad)).toThrow(InvalidArgumentError);
      expect(() => decodeBlockString(bad)).toThrow(/^blockString: /);
    }
  });
});

describe('scaling', () => {
  it('rounds filters to multiples of 8 the way efficientnet-pytorch does', () => {
    expect(roundFilters(32, 1.0)).toBe(32);
    expect(roundFilters(32, 1.1)).toBe(32); // 35.2 -> 32, not below 90%
    expect(roundFilters(40, 1.4)).toBe(56);
    expect(roundFilters(112, 1.1)).toBe(120);
    expect(roundFilters(1280, 2.0)).toBe(2560);
    expect(roundFilters(16, 0.1)).toBe(8); // minimum depth
    expect(roundFilters(20, 1.0)).toBe(24); // 20 + 4 -> 24 (nearest multiple, half up)
    expect(roundRepeats(2, 1.1)).toBe(3); // ceil(2.2)
    expect(roundRepeats(4, 3.1)).toBe(13);
    expect(roundRepeats(1, 1.0)).toBe(1);
  });

  it('has the lukemelas preset table', () => {
    expect(efficientNetParams(0)).toEqual({ widthCoefficient: 1, depthCoefficient: 1, resolution: 224, dropoutRate: 0.2 });
    expect(efficientNetParams(4)).toMatchObject({ widthCoefficient: 1.4, depthCoefficient: 1.8, resolution: 380 });
    expect(efficientNetParams(7)).toMatchObject({ widthCoefficient: 2.0, depthCoefficient: 3.1, resolution: 600 });
    expect(() => efficientNetParams(8 as EfficientNetVariant)).toThrow(InvalidArgumentError);
  });
});

describe('plan', () => {
  it.each(EFFICIENTNET_VARIANTS)('B%i has the efficientnet-pytorch parameter count (from the plan, no tensors)', (variant) => {
    expect(efficientNetParameterCount({ variant })).toBe(CLASSIFIER_PARAMETERS[variant]);
  });

  it.each(EFFICIENTNET_VARIANTS)('B%i taps C3/C4/C5 with the zylo117 channel widths', (variant) => {
    const { featureInfo } = planEfficientNet({ variant });
    expect(featureInfo.map((f) => f.channels)).toEqual(PYRAMID_CHANNELS[variant]);
    expect(featureInfo.map((f) => f.reduction)).toEqual([8, 16, 32]);
  });

  it('lays out B0 as the weights README does', () => {
    const plan = planEfficientNet({ variant: 0 });
    expect(plan.blocks).toHaveLength(16);
    expect(plan.featureInfo).toEqual([
      { channels: 40, reduction: 8, blockIndex: 4 },
      { channels: 112, reduction: 16, blockIndex: 10 },
      { channels: 320, reduction: 32, blockIndex: 15 },
    ]);
    expect(plan.blocks.map((b) => b.seChannels)).toEqual([8, 4, 6, 6, 10, 10, 20, 20, 20, 28, 28, 28, 48, 48, 48, 48]);
    expect(plan.blocks.filter((b) => b.residual).map((b) => b.index)).toEqual([2, 4, 6, 7, 9, 10, 12, 13, 14]);
    expect(plan.blocks.map((b) => b.stage)).toEqual([1, 2, 2, 3, 3, 4, 4, 4, 5, 5, 5, 6, 6, 6, 6, 7]);
    expect(plan.blocks[15].dropConnectRate).toBeCloseTo((0.2 * 15) / 16, 12);
    expect(plan.blocks[0].dropConnectRate).toBe(0);
    expect(efficientNetParameterCount({ variant: 0 }, 'backbone')).toBe(3_595_388);
    expect(efficientNetParameterCount({ variant: 0, numClasses: 90 })).toBe(5_288_548 - 910 * 1281);
  });

  it('scales depth: B7 has 55 blocks', () => {
    expect(planEfficientNet({ variant: 7 }).blocks).toHaveLength(55);
  });

  it('rejects bad options naming the option', () => {
    expect(() => planEfficientNet({ variant: 9 as EfficientNetVariant })).toThrow(/^options\.variant: /);
    expect(() => planEfficientNet({ variant: 0, numClasses: 0 })).toThrow(/^options\.numClasses: /);
    expect(() => planEfficientNet({ variant: 0, dropConnectRate: 1 })).toThrow(/^options\.dropConnectRate: /);
    expect(() => planEfficientNet({ variant: 0, blockStrings: ['r1_k3_s11_e1_i32_o16'] })).toThrow(/^options\.blockStrings: /);
  });
});

describe('EfficientNet-Lite (lite: true)', () => {
  it("has timm's tf_efficientnet_lite0..4 parameter counts (1000 classes: 4.65M, 5.42M, 6.09M, 8.20M, 13.01M)", () => {
    expect(efficientNetParameterCount({ variant: 0, lite: true })).toBe(4_652_008);
    const millions = ([1, 2, 3, 4] as const).map((variant) => Math.round(efficientNetParameterCount({ variant, lite: true }) / 1e4) / 100);
    expect(millions).toEqual([5.42, 6.09, 8.2, 13.01]);
  });

  it('drops squeeze-excite, keeps the stem, head and first / last repeats, and uses relu6', () => {
    const plan = planEfficientNet({ variant: 3, lite: true });
    expect(plan.stemChannels).toBe(32);
    expect(plan.headChannels).toBe(1280);
    expect(plan.blocks[0].inChannels).toBe(32);
    expect(plan.blocks.every((block) => block.seChannels === 0)).toBe(true);
    const perStage = [1, 2, 3, 4, 5, 6, 7].map((stage) => plan.blocks.filter((block) => block.stage === stage).length);
    expect(perStage).toEqual([1, 3, 3, 5, 5, 6, 1]); // B3 depth 1.4, first and last stages fixed
    expect(plan.options.activation).toBe('relu6');
    expect(planEfficientNet({ variant: 3 }).options.activation).toBe('swish');
  });

  it.each([
    [{ variant: 0, lite: 'yes' }, /^options\.lite: expected true or false, got yes$/],
    [{ variant: 0, activation: 'relu' }, /^options\.activation: expected 'swish' or 'relu6', got relu$/],
  ])('%j -> InvalidArgumentError', (options, message) => {
    expect(() => planEfficientNet(options as never)).toThrow(InvalidArgumentError);
    expect(() => planEfficientNet(options as never)).toThrow(message);
  });
});
