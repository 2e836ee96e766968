// @edet/train: training EfficientDet, with no Node dependency (the Node adapters are `@edet/train/node`).
export * from './errors.js';
export * from './schedule.js';
export * from './ema.js';
export * from './decay-filter.js';
export * from './optimizer.js';
export * from './micro-batch.js';
export * from './nan-guard.js';
export * from './stop-signal.js';
export * from './drop-connect.js';
export * from './kernels.js';
export * from './parallel/protocol.js';
export * from './parallel/worker-port.js';
export * from './parallel/web-worker-port.js';
export { EntryLayout, type PackedEntry } from './parallel/entry-layout.js';
export { ReplicaBatchNormSync, ANOTHER_WORKER_FAILED, type SyncBuffers, createSyncBuffers, resetSync, abortSync } from './parallel/replica-batch-norm-sync.js';
export { GradientWorkers, type GradientWorkersOptions, type ParallelPassResult } from './parallel/gradient-workers.js';
export { serveGradientWorker } from './parallel/gradient-replica.js';
export { parallelTrainStep, type ParallelStepOptions } from './parallel/parallel-step.js';
