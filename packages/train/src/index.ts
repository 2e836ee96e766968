// @edet/train: training EfficientDet, with no Node dependency (the Node adapters are `@edet/train/node`).
export * from './errors.js';

// The loop and what a step needs around it.
export * from './train-epochs.js';
export * from './schedule.js';
export * from './optimizer.js';
export * from './decay-filter.js';
export * from './micro-batch.js';
export * from './run-limits.js';
export * from './ema.js';
export * from './nan-guard.js';
export * from './stop-signal.js';
export * from './drop-connect.js';
export * from './batch-tensors.js';
export * from './validate.js';

// Where a run starts from and what it leaves: initial weights, checkpoints, the log.
export * from './initial-weights.js';
export * from './trainer-checkpoint.js';
export * from './log-records.js';

// Data parallelism: gradient workers behind a port (Node worker threads, browser Web Workers).
export { GradientWorkers, type GradientWorkersOptions, type ParallelPassResult } from './parallel/gradient-workers.js';
export { parallelTrainStep, type ParallelStepOptions } from './parallel/parallel-step.js';
export { serveGradientWorker, type GradientWorkerOptions } from './parallel/gradient-replica.js';
export * from './parallel/worker-port.js';
export * from './parallel/web-worker-port.js';
export * from './parallel/protocol.js';
export { EntryLayout, type PackedEntry } from './parallel/entry-layout.js';
export { ReplicaBatchNormSync, ANOTHER_WORKER_FAILED, type SyncBuffers, createSyncBuffers, resetSync, abortSync } from './parallel/replica-batch-norm-sync.js';
