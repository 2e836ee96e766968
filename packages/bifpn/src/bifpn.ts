import type * as tf from '@tensorflow/tfjs-core';
import { type Activation, ModuleList, type PoolPadding } from '@edet/tensor';

import { BiFpnLayer } from './bifpn-layer.js';

/** Options of a BiFPN stack. */
export interface BiFpnOptions {
  /** Width of every level (64 for D0). */
  channels: number;
  /** Number of stacked layers (3 for D0). */
  layers: number;
  /** Channels of the backbone maps C3, C4, C5. */
  backboneChannels: readonly [number, number, number];
  /** Lowest and highest pyramid levels (3 and 7; 8 for D7x). */
  minLevel?: number;
  maxLevel?: number;
  /** Fast normalised fusion (D0-D5) or plain sums (D6+). Default true. */
  weightedFusion?: boolean;
  /** What the "SAME" max-pools pad with: `zero` (zylo117, the default) or `neg-inf` (official TF, effdet). */
  poolPadding?: PoolPadding;
  /** Swish (default) or relu6 (Lite) before each node's conv. */
  activation?: Activation;
  /** Biases on convs a batch norm follows (default true; false for effdet `redundant_bias=False`, e.g. Lite). */
  redundantBias?: boolean;
  /** Register unused fusion weights when `weightedFusion` is false (default true, as zylo117's D6+; false for Lite). */
  unusedFusionWeights?: boolean;
}

/**
 * The BiFPN feature network: `layers` stacked BiFPN layers named `0`, `1`, ... (official keys `bifpn.0.*`).
 * `forward([C3, C4, C5])` (NHWC) returns `[P3 .. P_max]` at the BiFPN width; new tensors the caller disposes.
 */
export class BiFpn extends ModuleList<BiFpnLayer> {
  readonly minLevel: number;
  readonly maxLevel: number;

  constructor(readonly options: BiFpnOptions) {
    super();
    this.minLevel = options.minLevel ?? 3;
    this.maxLevel = options.maxLevel ?? 7;
    for (let i = 0; i < options.layers; i++) {
      this.push(
        new BiFpnLayer({
          channels: options.channels,
          minLevel: this.minLevel,
          maxLevel: this.maxLevel,
          weightedFusion: options.weightedFusion ?? true,
          poolPadding: options.poolPadding ?? 'zero',
          activation: options.activation,
          redundantBias: options.redundantBias,
          unusedFusionWeights: options.unusedFusionWeights,
          backboneChannels: i === 0 ? options.backboneChannels : undefined,
        }),
      );
    }
  }

  /** What every layer's max-pools pad with. */
  get poolPadding(): PoolPadding {
    return this.items[0]?.poolPadding ?? this.options.poolPadding ?? 'zero';
  }

  /** Switches every layer's max-pool padding (a checkpoint of another origin was loaded). */
  set poolPadding(padding: PoolPadding) {
    for (const layer of this.items) layer.poolPadding = padding;
  }

  forward(features: readonly [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D]): tf.Tensor4D[] {
    let maps: readonly tf.Tensor4D[] = features;
    for (const layer of this.items) {
      const next = layer.forward(maps);
      if (maps !== features) for (const map of maps) map.dispose();
      maps = next;
    }
    return maps as tf.Tensor4D[];
  }
}
