import { readdir, readFile, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';

import * as tf from '@tensorflow/tfjs-core';
import type { EfficientDet } from '@edet/model';
import { type Optimizer, readSafetensors, writeSafetensors } from '@edet/tensor';
import type { OptimizerName, Schedule, WeightEma } from '@edet/train';
import { writeFileAtomic } from '@edet/train/node';

import { CliError, oneLineMessage } from '../errors.js';
import { displayPath, isDirectory, isFile } from '../data/files.js';
import type { RunConfig } from './run-config.js';

/** The trainer-state file in a run folder; it names the other files of the checkpoint. */
export const CHECKPOINT_FILE = 'checkpoint.json';
/** The weights to use (the EMA weights when `--ema`), loadable by `edet detect --weights`. */
export const WEIGHTS_FILE = 'weights.safetensors';
/** The weights of the best validation mAP so far. */
export const BEST_WEIGHTS_FILE = 'best.safetensors';

const FORMAT = 'edet-train-checkpoint';
const VERSION = 1;

/** Where training stands: what a resumed run continues from. */
export interface TrainProgress {
  /** The epoch to continue (0-based); equals `config.epochs` when the run is complete. */
  epoch: number;
  /** Batches of that epoch already trained on. */
  batchInEpoch: number;
  /** Optimizer updates so far. */
  step: number;
}

/** The JSON side of a checkpoint. Tensors (weights, optimizer moments, EMA) are in `files.state`. */
export interface CheckpointJson {
  format: typeof FORMAT;
  version: typeof VERSION;
  savedAt: string;
  /** Why it was written: end of an epoch, Ctrl-C, or `--max-steps` reached. */
  reason: 'epoch' | 'interrupt' | 'max-steps';
  config: RunConfig;
  classNames: string[];
  categoryIds: number[];
  progress: TrainProgress;
  /** The randomness: every stream derives from the seed and the position (see data/rng.ts). */
  rng: { seed: number; epoch: number; batchInEpoch: number };
  schedule: Schedule;
  optimizer: { name: OptimizerName; step: number; learningRate: number; weightDecay: number };
  ema: { decay: number; updates: number } | null;
  /** Best validation mAP so far (null without evaluation). */
  bestMap: number | null;
  files: { state: string; weights: string };
}

/** What `saveCheckpoint` writes from. */
export interface TrainerState {
  model: EfficientDet;
  optimizer: Optimizer;
  ema: WeightEma | undefined;
  json: Omit<CheckpointJson, 'format' | 'version' | 'savedAt' | 'files' | 'optimizer' | 'ema'> & {
    optimizer: Omit<CheckpointJson['optimizer'], 'step' | 'learningRate'>;
  };
}

const stateFileName = (step: number) => `state-${String(step).padStart(7, '0')}.safetensors`;

/**
 * Writes a checkpoint into `folder`: the trainer tensors (`state-<step>.safetensors`: raw weights and
 * batch-norm statistics `model/*`, optimizer moments `optimizer/*`, EMA averages `ema/*`), the weights
 * file (EMA averages when on) and last `checkpoint.json`, each through a temporary file and a rename. The
 * JSON is the commit point: until it is renamed the previous checkpoint stays whole; afterwards older
 * state files are removed.
 */
export async function saveCheckpoint(folder: string, state: TrainerState): Promise<CheckpointJson> {
  const { model, optimizer, ema } = state;
  const tensors = new Map<string, tf.Tensor>();
  for (const entry of model.namedEntries()) tensors.set(`model/${entry.name}`, entry.variable);
  const optimizerState = optimizer.getState();
  for (const [key, tensor] of Object.entries(optimizerState.tensors)) tensors.set(`optimizer/${key}`, tensor);
  const emaState = ema?.getState() ?? {};
  for (const [key, tensor] of Object.entries(emaState)) tensors.set(`ema/${key}`, tensor);
  const step = state.json.progress.step;
  const stateFile = stateFileName(step);
  try {
    const bytes = await writeSafetensors(tensors, { metadata: { format: 'edet-train-state', step: String(step) } });
    await writeFileAtomic(join(folder, stateFile), bytes);
  } finally {
    tf.dispose([...Object.values(optimizerState.tensors), ...Object.values(emaState)]);
  }
  const metadata = {
    classes: JSON.stringify(state.json.classNames),
    edet_train: `epoch ${state.json.progress.epoch} step ${step}${ema ? ' (EMA weights)' : ''}`,
  };
  const save = () => model.saveSafetensors({ metadata });
  const weights = ema ? await ema.withAverage(save) : await save();
  await writeFileAtomic(join(folder, WEIGHTS_FILE), weights);
  const json: CheckpointJson = {
    format: FORMAT,
    version: VERSION,
    savedAt: new Date().toISOString(),
    ...state.json,
    optimizer: { ...state.json.optimizer, step: optimizer.step, learningRate: optimizer.learningRate },
    ema: ema ? { decay: ema.decay, updates: ema.updates } : null,
    files: { state: stateFile, weights: WEIGHTS_FILE },
  };
  await writeFileAtomic(join(folder, CHECKPOINT_FILE), `${JSON.stringify(json, null, 2)}\n`);
  for (const name of await readdir(folder)) {
    if (/^state-\d+\.safetensors$/.test(name) && name !== stateFile) await rm(join(folder, name), { force: true });
  }
  return json;
}

/** The checkpoint file a `--resume` argument means: a run folder or its `checkpoint.json`. */
export function resolveCheckpointPath(target: string): string {
  const path = resolve(target);
  if (isDirectory(path)) {
    const file = join(path, CHECKPOINT_FILE);
    if (!isFile(file)) throw new CliError(`--resume ${target}: no ${CHECKPOINT_FILE} in that folder (no checkpoint written yet?)`);
    return file;
  }
  if (isFile(path)) return path;
  throw new CliError(`--resume ${target}: no such folder or checkpoint file`);
}

/** The newest run folder under `runs` (by name, the default run names sort by time) that has a checkpoint. */
export async function latestRun(runs: string): Promise<string | undefined> {
  if (!isDirectory(runs)) return undefined;
  const names = (await readdir(runs)).sort().reverse();
  return names.map((name) => join(runs, name)).find((folder) => isFile(join(folder, CHECKPOINT_FILE)));
}

/** Reads and checks a checkpoint's JSON. */
export async function readCheckpointJson(file: string): Promise<CheckpointJson> {
  let json: CheckpointJson;
  try {
    json = JSON.parse(await readFile(file, 'utf8')) as CheckpointJson;
  } catch (error) {
    throw new CliError(`${displayPath(file)}: not a readable checkpoint (${oneLineMessage(error)})`);
  }
  if (json?.format !== FORMAT) throw new CliError(`${displayPath(file)}: not an edet training checkpoint (no "format": "${FORMAT}")`);
  if (json.version !== VERSION) throw new CliError(`${displayPath(file)}: checkpoint version ${json.version}; this edet reads version ${VERSION}`);
  return json;
}

/**
 * Restores the tensors of a checkpoint into a model built with the checkpoint's configuration, its
 * optimizer and EMA. Every model entry must be in the file with its shape.
 */
export async function restoreCheckpoint(
  file: string,
  json: CheckpointJson,
  target: { model: EfficientDet; optimizer: Optimizer; ema: WeightEma | undefined },
): Promise<void> {
  const statePath = join(dirname(file), basename(json.files.state));
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(statePath));
  } catch {
    throw new CliError(`${displayPath(file)}: its state file ${json.files.state} is missing`);
  }
  const { tensors } = readSafetensors(bytes, { source: displayPath(statePath) });
  try {
    const entries = target.model.namedEntries();
    const problems: string[] = [];
    for (const entry of entries) {
      const tensor = tensors[`model/${entry.name}`];
      if (tensor === undefined) problems.push(`missing ${entry.name}`);
      else if (!tf.util.arraysEqual(tensor.shape, entry.variable.shape)) problems.push(`${entry.name} has shape [${tensor.shape}], expected [${entry.variable.shape}]`);
    }
    if (problems.length > 0) throw new CliError(`${displayPath(statePath)} does not fit the model: ${problems.slice(0, 3).join('; ')}${problems.length > 3 ? '; ...' : ''}`);
    for (const entry of entries) entry.variable.assign(tensors[`model/${entry.name}`]);
    const prefixed = (prefix: string) =>
      Object.fromEntries(Object.entries(tensors).filter(([key]) => key.startsWith(prefix)).map(([key, tensor]) => [key.slice(prefix.length), tensor]));
    target.optimizer.setState({ step: json.optimizer.step, tensors: prefixed('optimizer/') });
    target.optimizer.learningRate = json.optimizer.learningRate;
    if (target.ema && json.ema) target.ema.setState(prefixed('ema/'), json.ema.updates);
  } finally {
    tf.dispose(Object.values(tensors));
  }
}
