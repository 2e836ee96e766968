/**
 * A training worker's trainer state as bytes and back: `@edet/train`'s `trainerStateTensors` (weights,
 * batch-norm statistics, optimizer moments; keyed `model/*`, `optimizer/*`) written as safetensors, and
 * `restoreTrainerState` reading them into a freshly built model and optimizer. The SHA-256 of the bytes
 * names a state: a resumed worker writes its restored state again and reports the hash, which equals the
 * checkpoint's when everything came back.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { EfficientDet } from '@edet/model';
import { readSafetensors, writeSafetensors } from '@edet/safetensors';
import type { Optimizer } from '@edet/tensor';
import { type CheckpointJson, restoreTrainerState, trainerStateTensors } from '@edet/train';

/** The model's and optimizer's state as safetensors bytes; creates no lasting tensors, disposes nothing of theirs. */
export async function trainerStateBytes(model: EfficientDet, optimizer: Optimizer): Promise<Uint8Array> {
  const { tensors, release } = trainerStateTensors({ model, optimizer, ema: undefined });
  try {
    return await writeSafetensors(tensors, { metadata: { format: 'edet-train-state' } });
  } finally {
    release();
  }
}

/** SHA-256 of `bytes`, hex. */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
  return Array.from(digest, (byte) => byte.toString(16).padStart(2, '0')).join('');
}

/**
 * Restores `trainerStateBytes` output into `model` and `optimizer` (the optimizer's step and learning rate
 * from `json`). Throws `TrainError` (changing nothing) when the bytes do not fit the model; frees what it read.
 */
export function restoreTrainerStateBytes(bytes: Uint8Array, json: Pick<CheckpointJson, 'optimizer' | 'ema'>, model: EfficientDet, optimizer: Optimizer): void {
  const source = 'the checkpoint in IndexedDB';
  const { tensors } = readSafetensors(bytes, { source });
  try {
    restoreTrainerState(tensors, json, { model, optimizer, ema: undefined }, source);
  } finally {
    tf.dispose(Object.values(tensors));
  }
}
