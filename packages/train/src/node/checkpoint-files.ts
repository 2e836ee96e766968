import { createHash } from 'node:crypto';
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

/** The SHA-256 of `bytes`, hex: how checkpoint.json names the files it belongs with. */
export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The weights file's bytes for a state: the EMA averages when there is an EMA, with the run's metadata. */
async function weightsBytes(
  state: Pick<TrainerState, 'model' | 'ema'> & { json: Pick<TrainerState['json'], 'classNames' | 'progress'> },
): Promise<Uint8Array> {
  const { model, ema } = state;
  const metadata = {
    classes: JSON.stringify(state.json.classNames),
    edet_train: `epoch ${state.json.progress.epoch} step ${state.json.progress.step}${ema ? ' (EMA weights)' : ''}`,
  };
  const save = () => model.saveSafetensors({ metadata });
  return ema ? await ema.withAverage(save) : await save();
}

/**
 * Writes a checkpoint into `folder`: the trainer tensors (`state-<step>.safetensors`, see
 * `trainerStateTensors`), the weights file (EMA averages when on) and last `checkpoint.json`, each written
 * atomically and flushed to disk (`writeFileAtomic`). The JSON is the commit point: it names the state file
 * and holds the SHA-256 of both files, so until it is renamed the previous checkpoint stays whole (its state
 * file is still there; a weights file already replaced is found by its hash and rewritten on resume, see
 * `checkWeightsFile`); afterwards older state files are removed. Disposes nothing of `state`.
 */
export async function saveCheckpoint<Config>(folder: string, state: TrainerState<Config>): Promise<CheckpointJson<Config>> {
  const { optimizer, ema } = state;
  const step = state.json.progress.step;
  const stateFile = stateFileName(step);
  const { tensors, release } = trainerStateTensors(state);
  let stateHash: string;
  try {
    const bytes = await writeSafetensors(tensors, { metadata: { format: 'edet-train-state', step: String(step) } });
    stateHash = sha256(bytes);
    await writeFileAtomic(join(folder, stateFile), bytes);
  } finally {
    release();
  }
  const weights = await weightsBytes(state);
  await writeFileAtomic(join(folder, WEIGHTS_FILE), weights);
  const json: CheckpointJson<Config> = {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    savedAt: new Date().toISOString(),
    ...state.json,
    optimizer: { ...state.json.optimizer, step: optimizer.step, learningRate: optimizer.learningRate },
    ema: ema ? { decay: ema.decay, updates: ema.updates } : null,
    files: { state: stateFile, weights: WEIGHTS_FILE, sha256: { state: stateHash, weights: sha256(weights) } },
  };
  await writeFileAtomic(join(folder, CHECKPOINT_FILE), `${JSON.stringify(json, null, 2)}\n`);
  for (const name of await readdir(folder)) {
    if (/^state-\d+\.safetensors$/.test(name) && name !== stateFile) await rm(join(folder, name), { force: true });
  }
  return json;
}

/**
 * Whether the weights file beside checkpoint `file` is the one its JSON was written with (by SHA-256; true
 * for checkpoints without hashes). False when it is missing or from another step: a run killed after renaming
 * new weights into place but before its new `checkpoint.json`.
 */
export async function checkWeightsFile(file: string, json: CheckpointJson): Promise<boolean> {
  const expected = json.files.sha256?.weights;
  if (expected === undefined) return true;
  try {
    return sha256(new Uint8Array(await readFile(join(dirname(file), basename(json.files.weights))))) === expected;
  } catch {
    return false;
  }
}

/**
 * Rewrites the weights file beside checkpoint `file` from a model (and EMA) restored from it, so that the
 * folder again holds one consistent checkpoint; the JSON keeps naming it by the same hash when the bytes
 * come out the same, and is rewritten with the new hash otherwise.
 */
export async function rewriteWeightsFile<Config>(
  file: string,
  json: CheckpointJson<Config>,
  restored: { model: EfficientDet; ema: WeightEma | undefined },
): Promise<CheckpointJson<Config>> {
  const folder = dirname(file);
  const weights = await weightsBytes({ ...restored, json });
  await writeFileAtomic(join(folder, basename(json.files.weights)), weights);
  const hash = sha256(weights);
  if (json.files.sha256 === undefined || json.files.sha256.weights === hash) return json;
  const updated: CheckpointJson<Config> = { ...json, files: { ...json.files, sha256: { ...json.files.sha256, weights: hash } } };
  await writeFileAtomic(file, `${JSON.stringify(updated, null, 2)}\n`);
  return updated;
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
 * shape, and the file must have the SHA-256 the JSON names (when it names one). The tensors read are freed.
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
  const expected = json.files.sha256?.state;
  if (expected !== undefined && sha256(bytes) !== expected) {
    throw new TrainError(
      `${displayPath(file)}: its state file ${json.files.state} is not the one it was saved with (SHA-256 differs): the file is damaged; ` +
        'restore it from a copy or start a new run',
    );
  }
  const { tensors } = readSafetensors(bytes, { source: displayPath(statePath) });
  try {
    restoreTrainerState(tensors, json, target, displayPath(statePath));
  } finally {
    tf.dispose(Object.values(tensors));
  }
}
