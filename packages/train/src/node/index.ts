// @edet/train/node: the Node adapters of @edet/train (files, signals, worker threads).
export * from './atomic-write.js';
export * from './interrupt.js';
export * from './worker-threads.js';
export * from './checkpoint-files.js';
export * from './json-lines-log.js';
export * from './run-config.js';
export * from './train-on-dataset.js';
