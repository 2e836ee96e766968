// @edet/train: training EfficientDet, with no Node dependency (the Node adapters are `@edet/train/node`).
export * from './errors.js';
export * from './schedule.js';
export * from './ema.js';
export * from './decay-filter.js';
export * from './optimizer.js';
export * from './micro-batch.js';
export * from './nan-guard.js';
export * from './stop-signal.js';
