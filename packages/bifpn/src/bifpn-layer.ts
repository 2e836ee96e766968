import * as tf from '@tensorflow/tfjs-core';
import {
  type Activation,
  Module,
  type PoolPadding,
  SeparableConvBlock,
  WEIGHTED_SUM,
  type WeightedSumAttrs,
  activate,
  canUseFusedKernel,
  maxPoolSame,
  upsampleNearestTo,
} from '@edet/tensor';

import { LateralProjection } from './lateral-projection.js';
import { type FusionInput, type FusionNode, bifpnTopology, convRegistrationOrder, fusionWeightShapes } from './topology.js';

/** Options of one BiFPN layer. */
export interface BiFpnLayerOptions {
  /** BiFPN width (64 for D0). */
  channels: number;
  minLevel: number;
  maxLevel: number;
  /** Fast normalised fusion (`true`, D0-D5) or plain sums (`false`, D6+). */
  weightedFusion: boolean;
  /** Channels of C3, C4, C5 when this is the first layer (it then owns the lateral projections). */
  backboneChannels?: readonly [number, number, number];
  /** What the "SAME" max-pools (downsampling, P6 and up) pad with (see `PoolPadding`). Default `zero` (zylo117). */
  poolPadding?: PoolPadding;
  /** Before each fusion node's separable conv: swish (default, the D family) or relu6 (Lite). */
  activation?: Activation;
  /**
   * Bias on the convs a batch norm follows (node pointwise convs, lateral projections). Default true (zylo117,
   * effdet `tf_efficientdet_d*`); effdet's `redundant_bias=False` models (Lite) have none.
   */
  redundantBias?: boolean;
  /**
   * Register the fusion weights (`p6_w1`, ...) even when `weightedFusion` is false. Default true: zylo117's
   * D6-D7x checkpoints carry them unused. Lite models (effdet `bifpn_sum`) have none.
   */
  unusedFusionWeights?: boolean;
}

/** Added to the fusion-weight sum so that all-zero (ReLU-clamped) weights do not divide by zero. */
const FUSION_EPSILON = 1e-4;

/**
 * One BiFPN layer: a top-down then a bottom-up pass of fusion nodes (see `bifpnTopology`). The first layer
 * also projects the backbone maps C3..C5 and builds the extra levels. Children and parameters carry the
 * official checkpoint names (`conv6_up`, `p6_w1`, `p5_down_channel`, ...).
 */
export class BiFpnLayer extends Module {
  readonly nodes: FusionNode[];
  private readonly convs = new Map<string, SeparableConvBlock>();
  private readonly fusionWeights = new Map<string, tf.Variable>();
  private readonly projections = new Map<string, LateralProjection>();
  readonly isFirst: boolean;
  /** What the max-pools pad with; follows the checkpoint's origin, so it may change after construction. */
  poolPadding: PoolPadding;

  constructor(readonly options: BiFpnLayerOptions) {
    super();
    this.poolPadding = options.poolPadding ?? 'zero';
    const { channels, minLevel, maxLevel } = options;
    this.nodes = bifpnTopology(minLevel, maxLevel);
    this.isFirst = options.backboneChannels !== undefined;
    if (options.weightedFusion || (options.unusedFusionWeights ?? true)) {
      for (const { name, length } of fusionWeightShapes()) this.fusionWeights.set(name, this.addParameter(name, tf.ones([length])));
    }
    const pointwiseBias = options.redundantBias ?? true;
    for (const node of convRegistrationOrder(this.nodes)) {
      this.convs.set(node.convName, this.addModule(node.convName, new SeparableConvBlock(channels, { pointwiseBias })));
    }
    if (options.backboneChannels) {
      const [c3, c4, c5] = options.backboneChannels;
      const specs: [string, number][] = [
        ['p5_down_channel', c5],
        ['p4_down_channel', c4],
        ['p3_down_channel', c3],
        ['p5_to_p6', c5],
        ['p4_down_channel_2', c4],
        ['p5_down_channel_2', c5],
      ];
      for (const [name, inChannels] of specs) {
        this.projections.set(name, this.addModule(name, new LateralProjection(inChannels, channels, pointwiseBias)));
      }
    }
  }

  /**
   * First layer: `inputs` are the backbone maps `[C3, C4, C5]` (NHWC). Later layers: the previous layer's
   * outputs `[P_min .. P_max]`. Returns `[P_min .. P_max]` outputs (NHWC, new tensors the caller disposes).
   */
  forward(inputs: readonly tf.Tensor4D[]): tf.Tensor4D[] {
    return tf.tidy(() => {
      const { minLevel, maxLevel } = this.options;
      const levelInputs = new Map<number, tf.Tensor4D>();
      const bottomUpInputs = new Map<number, tf.Tensor4D>();
      if (this.isFirst) {
        this.projectBackbone(inputs as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D], levelInputs, bottomUpInputs);
      } else {
        inputs.forEach((x, i) => levelInputs.set(minLevel + i, x));
      }
      const levelSize = (level: number): [number, number] => {
        const [, height, width] = (levelInputs.get(level) as tf.Tensor4D).shape;
        return [height, width];
      };
      const topDown = new Map<number, tf.Tensor4D>();
      const outputs = new Map<number, tf.Tensor4D>();
      for (const node of this.nodes) {
        const source = (input: FusionInput): tf.Tensor4D => {
          const map =
            input.source === 'topDown'
              ? topDown.get(input.level)
              : input.source === 'output'
                ? outputs.get(input.level)
                : node.pass === 'bottomUp'
                  ? (bottomUpInputs.get(input.level) ?? levelInputs.get(input.level))
                  : levelInputs.get(input.level);
          if (!map) throw new Error(`BiFPN wiring: no ${input.source} map at level ${input.level}`);
          return map;
        };
        const fused = this.fuseActivated(node, node.inputs.map(source), levelSize(node.level));
        const result = (this.convs.get(node.convName) as SeparableConvBlock).forward(fused);
        (node.pass === 'topDown' ? topDown : outputs).set(node.level, result);
      }
      // The lowest level's top-down node is already its output.
      outputs.set(minLevel, topDown.get(minLevel) as tf.Tensor4D);
      const result: tf.Tensor4D[] = [];
      for (let level = minLevel; level <= maxLevel; level++) result.push(outputs.get(level) as tf.Tensor4D);
      return result;
    });
  }

  /**
   * The node's inputs resampled to its level's size, fused and activated: one pass (`EdetWeightedSum`) in
   * inference where the backend has it (a top-down node's upsampling in the same pass), else the composed
   * ops. `sources` are the inputs before resampling; `size` is the level's `[height, width]`.
   */
  private fuseActivated(node: FusionNode, sources: tf.Tensor4D[], size: [number, number]): tf.Tensor4D {
    const activation = this.options.activation ?? 'swish';
    const param = node.weightName ? this.fusionWeights.get(node.weightName) : undefined;
    const fusedKernel =
      this.options.weightedFusion && param !== undefined && sources.length <= 3 && tf.engine().state.gradientDepth === 0 && canUseFusedKernel(WEIGHTED_SUM, [...sources, param]);
    // A top-down node (its level's map and the upsampled one above): the kernel reads the upper map as it is.
    const upsampleLast = fusedKernel && sources.length === 2 && node.inputs[0].resample === 'none' && node.inputs[1].resample === 'up';
    return tf.tidy(() => {
      const maps = sources.map((map, i) => (upsampleLast && i === 1 ? map : this.resample(node.inputs[i], map, size)));
      if (fusedKernel) {
        const inputs: tf.NamedTensorMap = { weights: param };
        maps.forEach((map, i) => (inputs[`x${i}`] = map));
        const attrs: WeightedSumAttrs = { epsilon: FUSION_EPSILON, activation, upsampleLast };
        return tf.engine().runKernel(WEIGHTED_SUM, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor4D;
      }
      return activate(this.fuse(node, maps), activation);
    });
  }

  /**
   * `map` resampled as `input` says, to `size`: sizes halve with rounding up, so an upsampled map can be one
   * cell larger than the level it joins (320 px: P7 3 -> 6, P6 5) and is cropped.
   */
  private resample(input: FusionInput, map: tf.Tensor4D, size: [number, number]): tf.Tensor4D {
    if (input.resample === 'up') return upsampleNearestTo(map, size);
    if (input.resample === 'down') return maxPoolSame(map, this.poolPadding);
    return map;
  }

  /** Fast normalised fusion `sum_i w_i x_i` with `w = relu(p) / (sum relu(p) + 1e-4)`, or a plain sum. */
  private fuse(node: FusionNode, maps: tf.Tensor4D[]): tf.Tensor4D {
    const param = node.weightName ? this.fusionWeights.get(node.weightName) : undefined;
    if (!this.options.weightedFusion || !param) return tf.addN(maps);
    const clamped = tf.relu(param);
    const weights = tf.div(clamped, tf.add(tf.sum(clamped), FUSION_EPSILON));
    const parts = tf.unstack(weights);
    let total = tf.mul(parts[0], maps[0]) as tf.Tensor4D;
    for (let i = 1; i < maps.length; i++) total = tf.add(total, tf.mul(parts[i], maps[i]));
    return total;
  }

  private projectBackbone(
    [c3, c4, c5]: [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D],
    levelInputs: Map<number, tf.Tensor4D>,
    bottomUpInputs: Map<number, tf.Tensor4D>,
  ): void {
    const project = (name: string, x: tf.Tensor4D) => (this.projections.get(name) as LateralProjection).forward(x);
    levelInputs.set(3, project('p3_down_channel', c3));
    levelInputs.set(4, project('p4_down_channel', c4));
    levelInputs.set(5, project('p5_down_channel', c5));
    levelInputs.set(6, maxPoolSame(project('p5_to_p6', c5), this.poolPadding));
    for (let level = 7; level <= this.options.maxLevel; level++) {
      levelInputs.set(level, maxPoolSame(levelInputs.get(level - 1) as tf.Tensor4D, this.poolPadding));
    }
    bottomUpInputs.set(4, project('p4_down_channel_2', c4));
    bottomUpInputs.set(5, project('p5_down_channel_2', c5));
  }
}
