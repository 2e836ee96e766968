// @edet/train/node: the Node adapters of @edet/train (files, signals, worker threads).
export * from './atomic-write.js';
export * from './interrupt.js';
export * from './signal-exit-code.js';
export * from './run-lock.js';
export * from './existing-run.js';
export * from './temporary-leftovers.js';
export * from './process-alive.js';
export * from './dataset-preflight.js';
export * from './worker-threads.js';
export * from './checkpoint-files.js';
export * from './json-lines-log.js';
export * from './run-config.js';
export * from './train-on-dataset.js';
