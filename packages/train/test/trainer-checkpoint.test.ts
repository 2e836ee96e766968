// A trainer checkpoint's tensors and JSON without files: what the state file holds, and what restoring checks.
// Node-free, so it runs in browser mode too.
import * as tf from '@tensorflow/tfjs-core';
import { EfficientDet } from '@edet/model';
import { AdamW } from '@edet/tensor';
import { TrainError, WeightEma, checkCheckpointJson, restoreTrainerState, trainerStateTensors } from '@edet/train';
import { describe, expect, it } from 'vitest';

const TINY = { compoundCoef: 0, numClasses: 2, fpnLayers: 1, headLayers: 1, inputSize: 128 } as const;

describe('trainer checkpoint', () => {
  it('keys the state as model/*, optimizer/* and ema/*, and restores it exactly', () => {
    const model = new EfficientDet({ ...TINY, seed: 1 });
    const optimizer = new AdamW({ learningRate: 1e-3 });
    const gradients = Object.fromEntries([...model.namedParameters()].map(([name, variable]) => [name, tf.onesLike(variable)]));
    optimizer.applyGradients(model.namedParameters(), gradients);
    const ema = new WeightEma(model, 0.9);
    ema.update();
    const { tensors, release } = trainerStateTensors({ model, optimizer, ema });
    const keys = [...tensors.keys()];
    expect(keys.filter((key) => key.startsWith('model/'))).toHaveLength(model.namedEntries().length);
    expect(keys.filter((key) => key.startsWith('optimizer/'))).toHaveLength(2 * model.namedParameters().size);
    expect(keys.filter((key) => key.startsWith('ema/'))).toHaveLength(model.namedEntries().length);

    const copy = new EfficientDet({ ...TINY, seed: 2 });
    const copyOptimizer = new AdamW({ learningRate: 1 });
    const copyEma = new WeightEma(copy, 0.9);
    const json = { optimizer: { name: 'adamw' as const, step: 1, learningRate: 1e-3, weightDecay: 0.01 }, ema: { decay: 0.9, updates: 1 } };
    restoreTrainerState(Object.fromEntries(tensors), json, { model: copy, optimizer: copyOptimizer, ema: copyEma }, 'state.safetensors');
    // Every entry, flattened into one tensor: one read back per model (a read per entry is slow on GPU backends).
    // Read outside tidy: tidy walks its result for tensors, element by element for a typed array.
    const allEntries = (m: EfficientDet) => {
      const flat = tf.tidy(() => tf.concat(m.namedEntries().map((entry) => tf.reshape(entry.variable, [-1]))));
      const values = flat.dataSync();
      flat.dispose();
      return values;
    };
    expect(copy.namedEntries().map((entry) => entry.name)).toEqual(model.namedEntries().map((entry) => entry.name));
    // Compared in a loop: toEqual on millions of elements takes seconds. Object.is: NaN equals NaN, 0 is not -0.
    const [restored, saved] = [allEntries(copy), allEntries(model)];
    expect(restored.length).toBe(saved.length);
    expect(restored.findIndex((value, i) => !Object.is(value, saved[i]))).toBe(-1);
    expect(copyOptimizer.step).toBe(1);
    expect(copyOptimizer.learningRate).toBe(1e-3);
    expect(copyEma.updates).toBe(1);

    const other = new EfficientDet({ ...TINY, numClasses: 3 });
    expect(() => restoreTrainerState(Object.fromEntries(tensors), json, { model: other, optimizer: copyOptimizer, ema: undefined }, 'state.safetensors')).toThrow(
      /^state\.safetensors does not fit the model: classifier\.header\.pointwise_conv\.\S+ has shape/,
    );
    release();
    tf.dispose(Object.values(gradients));
    for (const disposable of [model, copy, other, optimizer, copyOptimizer, ema, copyEma]) disposable.dispose();
  });

  it('checks the JSON: format and version', () => {
    expect(() => checkCheckpointJson({ format: 'something' }, 'other.json')).toThrow(TrainError);
    expect(() => checkCheckpointJson({ format: 'something' }, 'other.json')).toThrow(/^other\.json: not an edet training checkpoint/);
    expect(() => checkCheckpointJson({ format: 'edet-train-checkpoint', version: 2 }, 'new.json')).toThrow(/^new\.json: checkpoint version 2; this edet reads version 1$/);
    expect(checkCheckpointJson({ format: 'edet-train-checkpoint', version: 1 }, 'ok.json').version).toBe(1);
  });
});
