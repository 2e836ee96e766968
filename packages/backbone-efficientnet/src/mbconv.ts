import * as tf from '@tensorflow/tfjs-core';

import { type Activation, BatchNorm2d, Module, NamedConv2d, NamedDepthwiseConv2d, squeezeExcite, squeezeExciteGate } from '@edet/tensor';

import { dropConnect } from './drop-connect.js';
import type { MBConvConfig } from './plan.js';
import type { RandomSource } from './random.js';

/**
 * Mobile inverted bottleneck with squeeze-and-excitation, named as efficientnet-pytorch / zylo117 checkpoints
 * name it (children in checkpoint order):
 *
 * - `_expand_conv` (1x1, no bias) + `_bn0` + swish: `inChannels` -> `E`; absent when the expand ratio is 1;
 * - `_depthwise_conv` (k x k, stride on this conv, no bias; checkpoint `[E,1,k,k]`) + `_bn1` + swish;
 * - `_se_reduce` (1x1 + bias, `E` -> `S`) + swish, `_se_expand` (1x1 + bias, `S` -> `E`) + sigmoid, applied
 *   as a per-channel gate on the global average;
 * - `_project_conv` (1x1, no bias) + `_bn2`, no activation: `E` -> `outChannels`;
 * - identity skip when `config.residual`, with drop-connect on the branch in training mode only.
 *
 * `forward(x)`: `[N, H, W, inChannels]` -> `[N, ceil(H/stride), ceil(W/stride), outChannels]`; returns a new
 * tensor the caller disposes. The block owns its variables.
 */
export class MBConvBlock extends Module {
  readonly expandConv: NamedConv2d | null;
  readonly bn0: BatchNorm2d | null;
  readonly depthwiseConv: NamedDepthwiseConv2d;
  readonly bn1: BatchNorm2d;
  readonly seReduce: NamedConv2d | null;
  readonly seExpand: NamedConv2d | null;
  readonly projectConv: NamedConv2d;
  readonly bn2: BatchNorm2d;

  /**
   * @param config the scaled block (see `planEfficientNet`).
   * @param random draws the drop-connect masks; shared by all blocks of a network so one seed fixes them all.
   */
  constructor(
    readonly config: MBConvConfig,
    private readonly random: RandomSource,
    /** After the expand and depthwise convs: swish (B0..B7) or relu6 (Lite). */
    readonly activation: Activation = 'swish',
  ) {
    super();
    const { inChannels, expandedChannels: expanded, outChannels, kernelSize, stride, seChannels } = config;
    this.expandConv = config.hasExpand
      ? this.addModule('_expand_conv', new NamedConv2d(inChannels, expanded, 1, { bias: false }))
      : null;
    this.bn0 = config.hasExpand ? this.addModule('_bn0', new BatchNorm2d(expanded)) : null;
    this.depthwiseConv = this.addModule('_depthwise_conv', new NamedDepthwiseConv2d(expanded, kernelSize, { stride, bias: false }));
    this.bn1 = this.addModule('_bn1', new BatchNorm2d(expanded));
    this.seReduce = seChannels > 0 ? this.addModule('_se_reduce', new NamedConv2d(expanded, seChannels, 1)) : null;
    this.seExpand = seChannels > 0 ? this.addModule('_se_expand', new NamedConv2d(seChannels, expanded, 1)) : null;
    this.projectConv = this.addModule('_project_conv', new NamedConv2d(expanded, outChannels, 1, { bias: false }));
    this.bn2 = this.addModule('_bn2', new BatchNorm2d(outChannels));
  }

  forward(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      let h = x;
      const activation = this.activation;
      if (this.expandConv && this.bn0) h = this.bn0.forwardConv(this.expandConv.conv, h, activation);
      h = this.bn1.forwardConv(this.depthwiseConv.conv, h, activation);
      if (!this.training) {
        // Inference: the gate and the skip connection go into the projection (its filter scaled per image,
        // the residual added in its output pass, where the kernels allow) instead of passes over the map.
        const inputScale = this.seReduce && this.seExpand ? squeezeExciteGate(h, this.seReduce.conv, this.seExpand.conv) : undefined;
        return this.bn2.forwardConv(this.projectConv.conv, h, undefined, { inputScale, residual: this.config.residual ? x : undefined });
      }
      if (this.seReduce && this.seExpand) h = squeezeExcite(h, this.seReduce.conv, this.seExpand.conv);
      h = this.bn2.forwardConv(this.projectConv.conv, h);
      if (!this.config.residual) return h;
      if (this.config.dropConnectRate > 0) h = dropConnect(h, this.config.dropConnectRate, this.random);
      return tf.add(h, x);
    });
  }
}
