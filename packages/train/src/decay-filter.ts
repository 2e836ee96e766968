import type * as tf from '@tensorflow/tfjs-core';

/**
 * Whether a parameter gets weight decay. Only convolution kernels do; these are left alone:
 * - batch-norm scales and shifts (`bn.weight`, `_bn0.bias`, `bn_list.0.1.weight`, and the norm inside the
 *   BiFPN's resampling `Sequential`s, `p5_down_channel.1.weight`),
 * - every bias (`pointwise_conv.conv.bias`, `_se_reduce.conv.bias`),
 * - the BiFPN's fast-fusion weights (`bifpn.0.p6_w1`).
 * By name: conv kernels are exactly the parameters whose name ends in `.conv.weight` (the wrapper every
 * conv layer in the model uses), which the tests check against the parameter shapes.
 */
export function decaysWeight(name: string, _variable?: tf.Variable): boolean {
  if (name.endsWith('.bias')) return false;
  if (/(^|\.)p\d+_w\d+$/.test(name)) return false;
  return name.endsWith('.conv.weight');
}
