import * as tf from '@tensorflow/tfjs-core';
import type { EfficientDet } from '@edet/model';
import type { Optimizer } from '@edet/tensor';

import type { WeightEma } from './ema.js';
import { TrainError } from './errors.js';
import type { OptimizerName } from './optimizer.js';
import type { Schedule } from './schedule.js';

/** The `format` of a trainer checkpoint's JSON. */
export const CHECKPOINT_FORMAT = 'edet-train-checkpoint';
/** The `version` of the JSON this package writes and reads. */
export const CHECKPOINT_VERSION = 1;

/** Where training stands: what a resumed run continues from. */
export interface TrainProgress {
  /** The epoch to continue (0-based); equals the run's epochs when it is complete. */
  epoch: number;
  /** Batches of that epoch already trained on. */
  batchInEpoch: number;
  /** Optimizer updates so far. */
  step: number;
}

/**
 * The JSON side of a trainer checkpoint; `Config` is the run's configuration (the CLI's `RunConfig`).
 * Tensors (weights, optimizer moments, EMA) are in the state file `files.state`.
 */
export interface CheckpointJson<Config = unknown> {
  format: typeof CHECKPOINT_FORMAT;
  version: typeof CHECKPOINT_VERSION;
  savedAt: string;
  /** Why it was written: end of an epoch, an interrupt (Ctrl-C, SIGTERM, SIGHUP), the step limit reached, or `saveEvery` steps done. */
  reason: 'epoch' | 'interrupt' | 'max-steps' | 'save-every';
  /**
   * The run's settings outside `config` that a resumed run keeps unless told otherwise: validate every
   * `evalEvery` epochs, save every `saveEvery` steps (0: at epoch ends only). Absent in older checkpoints.
   */
  session?: { evalEvery: number; saveEvery: number };
  config: Config;
  classNames: string[];
  categoryIds: number[];
  progress: TrainProgress;
  /** The randomness: every stream derives from the seed and the position. */
  rng: { seed: number; epoch: number; batchInEpoch: number };
  schedule: Schedule;
  optimizer: { name: OptimizerName; step: number; learningRate: number; weightDecay: number };
  ema: { decay: number; updates: number } | null;
  /** Best validation mAP so far (null without evaluation). */
  bestMap: number | null;
  /**
   * The checkpoint's other files, beside it, and the SHA-256 (hex) of each as written with this JSON (absent
   * in checkpoints of older versions): a resume checks them, so a state or weights file of another step
   * (a run killed between two renames) or a damaged one is found.
   */
  files: { state: string; weights: string; sha256?: { state: string; weights: string } };
}

/** What a checkpoint is written from. */
export interface TrainerState<Config = unknown> {
  model: EfficientDet;
  optimizer: Optimizer;
  ema: WeightEma | undefined;
  json: Omit<CheckpointJson<Config>, 'format' | 'version' | 'savedAt' | 'files' | 'optimizer' | 'ema'> & {
    optimizer: Omit<CheckpointJson['optimizer'], 'step' | 'learningRate'>;
  };
}

/**
 * The tensors of a trainer state, keyed as the state file stores them: raw weights and batch-norm
 * statistics `model/*`, optimizer moments `optimizer/*`, EMA averages `ema/*`. The `model/*` entries are the
 * model's own variables; call `release()` once written to free the optimizer and EMA copies.
 */
export function trainerStateTensors(state: Pick<TrainerState, 'model' | 'optimizer' | 'ema'>): { tensors: Map<string, tf.Tensor>; release(): void } {
  const tensors = new Map<string, tf.Tensor>();
  for (const entry of state.model.namedEntries()) tensors.set(`model/${entry.name}`, entry.variable);
  const optimizerState = state.optimizer.getState();
  for (const [key, tensor] of Object.entries(optimizerState.tensors)) tensors.set(`optimizer/${key}`, tensor);
  const emaState = state.ema?.getState() ?? {};
  for (const [key, tensor] of Object.entries(emaState)) tensors.set(`ema/${key}`, tensor);
  return { tensors, release: () => tf.dispose([...Object.values(optimizerState.tensors), ...Object.values(emaState)]) };
}

/** Checks parsed checkpoint JSON (`source` names it in errors) and returns it typed; throws `TrainError`. */
export function checkCheckpointJson<Config = unknown>(json: unknown, source: string): CheckpointJson<Config> {
  const value = json as CheckpointJson<Config> | undefined;
  if (value?.format !== CHECKPOINT_FORMAT) throw new TrainError(`${source}: not an edet training checkpoint (no "format": "${CHECKPOINT_FORMAT}")`);
  if (value.version !== CHECKPOINT_VERSION) throw new TrainError(`${source}: checkpoint version ${value.version}; this edet reads version ${CHECKPOINT_VERSION}`);
  return value;
}

/**
 * Restores a state file's tensors (keyed as `trainerStateTensors` writes them; `source` names the file in
 * errors) into a model built with the checkpoint's configuration, its optimizer and EMA. Every model entry
 * must be there with its shape, else it throws `TrainError` and changes nothing. `tensors` stay the
 * caller's to dispose.
 */
export function restoreTrainerState(
  tensors: Readonly<Record<string, tf.Tensor>>,
  json: Pick<CheckpointJson, 'optimizer' | 'ema'>,
  target: { model: EfficientDet; optimizer: Optimizer; ema: WeightEma | undefined },
  source: string,
): void {
  const entries = target.model.namedEntries();
  const problems: string[] = [];
  for (const entry of entries) {
    const tensor = tensors[`model/${entry.name}`];
    if (tensor === undefined) problems.push(`missing ${entry.name}`);
    else if (!tf.util.arraysEqual(tensor.shape, entry.variable.shape)) problems.push(`${entry.name} has shape [${tensor.shape}], expected [${entry.variable.shape}]`);
  }
  if (problems.length > 0) throw new TrainError(`${source} does not fit the model: ${problems.slice(0, 3).join('; ')}${problems.length > 3 ? '; ...' : ''}`);
  for (const entry of entries) entry.variable.assign(tensors[`model/${entry.name}`]);
  const prefixed = (prefix: string) =>
    Object.fromEntries(Object.entries(tensors).filter(([key]) => key.startsWith(prefix)).map(([key, tensor]) => [key.slice(prefix.length), tensor]));
  target.optimizer.setState({ step: json.optimizer.step, tensors: prefixed('optimizer/') });
  target.optimizer.learningRate = json.optimizer.learningRate;
  if (target.ema && json.ema) target.ema.setState(prefixed('ema/'), json.ema.updates);
}
