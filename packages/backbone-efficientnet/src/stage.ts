import * as tf from '@tensorflow/tfjs-core';

import { type Activation, type BatchNorm2d, Module, type NamedConv2d } from '@edet/tensor';

import type { MBConvBlock } from './mbconv.js';

/**
 * A view onto part of an EfficientNet: it registers modules that the network already owns, so its
 * `stateDict()` / `loadStateDict()` read and write the network's own variables under keys local to the stage.
 *
 * Ownership: a stage owns nothing. The network (`EfficientNet` / `EfficientNetBackbone`) owns the variables
 * and frees them in its `dispose()`; `dispose()` on a stage does nothing. `train()` / `eval()` on a stage
 * switch the shared modules, so they change the network's mode for that stage too.
 */
export abstract class EfficientNetStage extends Module {
  /** `[N, H, W, Cin]` -> `[N, H', W', Cout]` through this stage only; the caller disposes the result. */
  abstract forward(x: tf.Tensor4D): tf.Tensor4D;

  /** Does nothing: the network owns the variables this view shares (see the class notes). */
  override dispose(): void {}
}

/**
 * Stage 0: `_conv_stem` (3x3 stride 2, no bias) + `_bn0` + swish. Keys: `_conv_stem.conv.weight`,
 * `_bn0.weight`, `_bn0.bias`, `_bn0.running_mean`, `_bn0.running_var`.
 * `forward(x)`: `[N, H, W, 3]` -> `[N, ceil(H/2), ceil(W/2), stemChannels]`.
 */
export class StemStage extends EfficientNetStage {
  constructor(
    readonly convStem: NamedConv2d,
    readonly bn0: BatchNorm2d,
    readonly activation: Activation = 'swish',
  ) {
    super();
    this.addModule('_conv_stem', convStem);
    this.addModule('_bn0', bn0);
  }

  forward(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => this.bn0.forwardConv(this.convStem.conv, x, this.activation));
  }
}

/**
 * Stage s >= 1: the MBConv blocks built from block-definition row s, registered under their index within the
 * stage (`0._expand_conv.conv.weight` is the stage's first block, whatever its index in `_blocks`).
 * `forward(x)` runs the blocks in order.
 */
export class BlockStage extends EfficientNetStage {
  constructor(
    /** 1-based stage number: the row of the block strings. */
    readonly stage: number,
    readonly blocks: readonly MBConvBlock[],
  ) {
    super();
    blocks.forEach((block, index) => this.addModule(String(index), block));
  }

  forward(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => this.blocks.reduce((h, block) => block.forward(h), x));
  }
}
