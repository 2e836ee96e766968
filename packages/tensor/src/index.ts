// Registers the gradients tfjs-core's Node and ESM builds lack (side effect; see gradients/register.ts).
import './gradients/register.js';

export * from './errors.js';
export * from './check-options.js';
export * from './layout.js';
export * from './module.js';
export * from './layers/padding.js';
export * from './layers/init.js';
export * from './layers/conv2d.js';
export * from './layers/depthwise-conv2d.js';
export * from './layers/batch-norm.js';
export * from './layers/fused-batch-norm.js';
export * from './layers/batch-norm-sync.js';
export * from './layers/release-after-backward.js';
export * from './layers/activations.js';
export * from './layers/pooling.js';
export * from './layers/global-average-pool.js';
export * from './layers/upsample.js';
export * from './layers/linear.js';
export * from './ops/max-arg-max.js';
export * from './layers/static-same-conv.js';
export * from './layers/separable-conv.js';
export { registerGradients, EDET_GRADIENTS } from './gradients/register.js';
export { declareExactKernel, isExactKernel } from './gradients/exact-kernels.js';
export * from './optim/optimizer.js';
export * from './optim/adamw.js';
export * from './optim/sgd.js';
export * from './fused-kernels/index.js';
