import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

import * as tf from '@tensorflow/tfjs-core';
import { displayPath } from '@edet/data/node';
import type { EfficientDet } from '@edet/model';
import { readSafetensors, writeSafetensors } from '@edet/safetensors';
import type { Optimizer } from '@edet/tensor';

import type { WeightEma } from '../ema.js';
import { errorText } from '@edet/tensor';
import { TrainError } from '../errors.js';
import {
  CHECKPOINT_FORMAT,
  CHECKPOINT_VERSION,
  type CheckpointJson,
  type TrainerState,
  checkCheckpointJson,
  restoreTrainerState,
  trainerStateTensors,
} from '../trainer-checkpoint.js';
import { writeFileAtomic } from './atomic-write.js';

/** The trainer-state file in a run folder; it names the other files of the checkpoint. */
export const CHECKPOINT_FILE = 'checkpoint.json';
/** The weights to use (the EMA weights when EMA is on), loadable by `edet detect --weights`. */
export const WEIGHTS_FILE = 'weights.safetensors';
/** The weights of the best validation mAP so far. */
export const BEST_WEIGHTS_FILE = 'best.safetensors';

const stateFileName = (step: number) => `state-${String(step).padStart(7, '0')}.safetensors`;

/**
 * Writes a checkpoint into `folder`: the trainer tensors (`state-<step>.safetensors`, see
 * `trainerStateTensors`), the weights file (EMA averages when on) and last `checkpoint.json`, each through a
 * temporary file and a rename. The JSON is the commit point: until it is renamed the previous checkpoint
 * stays whole; afterwards older state files are removed. Disposes nothing of `state`.
 */
export async function saveCheckpoint<Config>(folder: string, state: TrainerState<Config>): Promise<CheckpointJson<Config>> {
  const { model, optimizer, ema } = state;
  const step = state.json.progress.step;
  const stateFile = stateFileName(step);
  const { tensors, release } = trainerStateTensors(state);
  try {
    const bytes = await writeSafetensors(tensors, { metadata: { format: 'edet-train-state', step: String(step) } });
    await writeFileAtomic(join(folder, stateFile), bytes);
  } finally {
    release();
  }
  const metadata = {
    classes: JSON.stringify(state.json.classNames),
    edet_train: `epoch ${state.json.progress.epoch} step ${step}${ema ? ' (EMA weights)' : ''}`,
  };
  const save = () => model.saveSafetensors({ metadata });
  const weights = ema ? await ema.withAverage(save) : await save();
  await writeFileAtomic(join(folder, WEIGHTS_FILE), weights);
  const json: CheckpointJson<Config> = {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
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

/** The newest run folder under `runs` (by name: the default run names sort by time) that has a checkpoint. */
export async function latestRun(runs: string): Promise<string | undefined> {
  let names: string[];
  try {
    names = await readdir(runs);
  } catch {
    return undefined;
  }
  for (const folder of names.sort().reverse().map((name) => join(runs, name))) {
    if (await isFile(join(folder, CHECKPOINT_FILE))) return folder;
  }
  return undefined;
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/** Reads and checks a checkpoint's JSON; throws `TrainError` naming `file`. */
export async function readCheckpointJson<Config = unknown>(file: string): Promise<CheckpointJson<Config>> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new TrainError(`${displayPath(file)}: not a readable checkpoint (${errorText(error)})`);
  }
  return checkCheckpointJson<Config>(json, displayPath(file));
}

/**
 * Restores the tensors of the checkpoint `file` (its state file, found beside it) into a model built with
 * the checkpoint's configuration, its optimizer and EMA. Every model entry must be in the file with its
 * shape. The tensors read are freed.
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
    throw new TrainError(`${displayPath(file)}: its state file ${json.files.state} is missing`);
  }
  const { tensors } = readSafetensors(bytes, { source: displayPath(statePath) });
  try {
    restoreTrainerState(tensors, json, target, displayPath(statePath));
  } finally {
    tf.dispose(Object.values(tensors));
  }
}
