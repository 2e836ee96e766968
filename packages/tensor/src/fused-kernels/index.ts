export * from './batch-norm-train.js';
export * from './swish.js';
export * from './adamw-update.js';
export * from './max-arg-max.js';
export * from './depthwise-conv.js';
export * from './pointwise-conv.js';
export * from './weighted-sum.js';
export * from './squeeze-excite.js';
