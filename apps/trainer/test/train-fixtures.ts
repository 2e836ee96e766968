import type { CommandIo } from '../src/io.js';
import { type RunConfigInput, type StepInfo, type TrainRequest, runTraining } from '../src/train/trainer.js';

// The dataset helpers are the data package's own test helpers (BCCD cut into a small COCO folder).
export { temporaryFolder, tinyCocoDataset } from '../../../packages/data/test/support/datasets.js';

/** An io that records what a command writes. */
export function recordingIo(): CommandIo & { output: () => string; errors: () => string } {
  let out = '';
  let err = '';
  return {
    out: (text) => void (out += text),
    err: (text) => void (err += text),
    output: () => out,
    errors: () => err,
  };
}

/** A run configuration small enough for tests: D0 backbone, 1 BiFPN layer and 1 head layer, 128x128, batch 1. */
export function tinyRunConfig(data: string, overrides: Partial<RunConfigInput> = {}): RunConfigInput {
  return {
    data,
    format: 'coco',
    split: 'train',
    valSplit: 'val',
    coef: 0,
    size: 128,
    batch: 1,
    microBatch: 1,
    epochs: 2,
    lr: 1e-3,
    optimizer: 'adamw',
    weightDecay: 1e-2,
    warmupSteps: 1,
    clip: 10,
    ema: null,
    seed: 7,
    augment: true,
    weights: null,
    model: { fpnLayers: 1, headLayers: 1 },
    ...overrides,
  };
}

/** Runs training quietly; returns the result, what it printed, and every step's info. */
export async function train(request: Partial<TrainRequest> & Pick<TrainRequest, 'out'>) {
  const io = recordingIo();
  const steps: StepInfo[] = [];
  const onStep = request.hooks?.onStep;
  const result = await runTraining({
    evalEvery: 0,
    io,
    tty: false,
    handleSignals: false,
    plot: false,
    ...request,
    hooks: { ...request.hooks, onStep: (info) => (steps.push(info), onStep?.(info)) },
  });
  return { result, io, steps };
}
