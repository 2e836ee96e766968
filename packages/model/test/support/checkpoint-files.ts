/** Helpers of the checkpoint tests: exact tensor comparison, edited checkpoint files, and failed loads. */
import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';

import { EfficientDet, loadCheckpoint } from '@edet/model';
import { readSafetensors, writeSafetensorsSync } from '@edet/safetensors';
import { StateDictError } from '@edet/tensor';

/** True when `a` and `b` have the same shape and the same values bit for bit (NaN equal to NaN, 0 not -0). */
export function tensorsEqual(a: tf.Tensor, b: tf.Tensor): boolean {
  if (!tf.util.arraysEqual(a.shape, b.shape)) return false;
  const x = a.dataSync();
  const y = b.dataSync();
  return x.every((v, i) => Object.is(v, y[i]));
}

/** The checkpoint file `bytes` with its tensors changed by `edit` (which may add, delete or replace them). */
export function rewrite(bytes: Uint8Array, edit: (tensors: Record<string, tf.Tensor>) => void): Uint8Array {
  const { tensors } = readSafetensors(bytes);
  edit(tensors);
  const out = writeSafetensorsSync(tensors);
  tf.dispose(Object.values(tensors));
  return out;
}

/** A copy of one parameter's values, to see that a failed load left the model alone. */
export function classifierBiasSnapshot(model: EfficientDet) {
  return model.classifier.header.pointwiseConv.conv.bias?.dataSync().slice();
}

/**
 * Expects loading `file` into a fresh D0 to throw a `StateDictError` matching `message`, and to change no
 * parameter and leak no tensor.
 */
export function expectLoadRejected(file: Uint8Array, message: RegExp): void {
  const fresh = new EfficientDet({ compoundCoef: 0, seed: 7 });
  const before = classifierBiasSnapshot(fresh);
  const start = tf.memory().numTensors;
  expect(() => loadCheckpoint(fresh, file)).toThrow(StateDictError);
  expect(() => loadCheckpoint(fresh, file)).toThrow(message);
  expect(classifierBiasSnapshot(fresh)).toEqual(before);
  expect(tf.memory().numTensors).toBe(start);
  fresh.dispose();
}
