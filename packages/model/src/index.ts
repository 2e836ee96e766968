export * from './presets.js';
export * from './config.js';
export * from './labels.js';
export * from './preprocess.js';
export * from './input-check.js';
export * from './efficientdet.js';
export * from './checkpoint.js';
export * from './key-layouts.js';
export type { Detection, PostprocessOptions, NmsMode } from '@edet/anchors';
