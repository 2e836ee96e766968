import * as tf from '@tensorflow/tfjs-core';
import { type Activation, BatchNorm2d, type FusedConvActivation, Module, ModuleList, SeparableConvBlock } from '@edet/tensor';

/** Options shared by the class and box heads. */
export interface HeadOptions {
  /** BiFPN width (input channels of every level). */
  channels: number;
  /** Number of separable conv layers before the prediction layer (3 for D0). */
  layers: number;
  /** Number of pyramid levels (5; 6 for D7x): one set of batch norms per level. */
  levels: number;
  /** Anchors per location (9). */
  anchorsPerLocation: number;
  /** After each layer's batch norm: swish (default, the D family) or relu6 (Lite). */
  activation?: Activation;
  /**
   * Bias on the layers' pointwise convs, which a batch norm follows (default true, as zylo117 and effdet's
   * `tf_efficientdet_d*`; effdet's `redundant_bias=False` models such as Lite have none). The prediction
   * layer keeps its bias.
   */
  redundantBias?: boolean;
}

/**
 * The shared part of both heads: `layers` separable convs whose weights are shared by every level, each
 * followed by a batch norm of that level's own (`bn_list[level][layer]`) and swish (or relu6), then the prediction
 * sepconv (`header`) with no norm or activation. Keys: `conv_list.j.*`, `bn_list.level.j.*`, `header.*`.
 */
export class HeadTower extends Module {
  readonly convList: ModuleList<SeparableConvBlock>;
  readonly bnList: ModuleList<ModuleList<BatchNorm2d>>;
  readonly header: SeparableConvBlock;

  constructor(
    readonly options: HeadOptions,
    /** Values predicted per anchor (4 for boxes, the class count for classes). */
    readonly valuesPerAnchor: number,
  ) {
    super();
    const { channels, layers, levels, anchorsPerLocation } = options;
    this.convList = this.addModule(
      'conv_list',
      new ModuleList(Array.from({ length: layers }, () => new SeparableConvBlock(channels, { norm: false, pointwiseBias: options.redundantBias ?? true }))),
    );
    this.bnList = this.addModule(
      'bn_list',
      new ModuleList(
        Array.from({ length: levels }, () => new ModuleList(Array.from({ length: layers }, () => new BatchNorm2d(channels)))),
      ),
    );
    this.header = this.addModule(
      'header',
      new SeparableConvBlock(channels, { outChannels: anchorsPerLocation * valuesPerAnchor, norm: false }),
    );
  }

  /**
   * `features`: `[P_min .. P_max]`, each `[N, H_l, W_l, channels]`. Returns the raw predictions of every
   * level concatenated in anchor order: `[N, sum_l H_l*W_l*anchors, valuesPerAnchor]` (new tensor, caller disposes).
   * `headerActivation` (e.g. `'sigmoid'`) is applied to every value, in the prediction layer's output pass
   * where that has a fused kernel.
   *
   * The prediction layer's pointwise convolution, shared by every level, runs once over the pixels of all
   * levels, `[N, sum_l H_l*W_l, 1, channels]`: its output is then the concatenated predictions as they
   * stand, where one convolution per level would need a copy of all of them into the result (17.7 MB for
   * D0's classes).
   */
  predict(features: readonly tf.Tensor4D[], headerActivation?: FusedConvActivation): tf.Tensor3D {
    if (features.length !== this.options.levels) {
      throw new Error(`head expects ${this.options.levels} pyramid levels, got ${features.length}`);
    }
    const activation = this.options.activation ?? 'swish';
    return tf.tidy(() => {
      const pixelsPerLevel = features.map((feature, level) => {
        let x = feature;
        this.convList.items.forEach((conv, j) => {
          x = conv.forwardNormalized(x, this.bnList.at(level).at(j), activation);
        });
        const [n, h, w, c] = x.shape;
        return tf.reshape(this.header.depthwiseConv.forward(x), [n, h * w, 1, c]) as tf.Tensor4D;
      });
      const pixels = pixelsPerLevel.length === 1 ? pixelsPerLevel[0] : (tf.concat(pixelsPerLevel, 1) as tf.Tensor4D);
      const pointwise = this.header.pointwiseConv;
      const out = headerActivation === undefined ? pointwise.forward(pixels) : pointwise.conv.forwardActivated(pixels, headerActivation);
      const [n, locations] = out.shape;
      // NHWC channel index is anchor * valuesPerAnchor + value: the official anchor order.
      return tf.reshape(out, [n, locations * this.options.anchorsPerLocation, this.valuesPerAnchor]);
    });
  }
}
