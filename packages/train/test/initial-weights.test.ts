// Initial weights (`edet train --init`): a damaged file or one holding NaN/Inf is refused like any bad
// weights file, naming the file, and leaves the model and the tensor count as they were.
import * as tf from '@tensorflow/tfjs-core';
import { EfficientDet } from '@edet/model';
import { writeSafetensors } from '@edet/safetensors';
import { FileFormatError } from '@edet/tensor';
import { loadInitialWeights } from '@edet/train';
import { afterAll, describe, expect, it } from 'vitest';

const model = new EfficientDet({ compoundCoef: 0, numClasses: 2, fpnLayers: 1, headLayers: 1, seed: 4 });
afterAll(() => model.dispose());

describe('loadInitialWeights', () => {
  it('refuses NaN or infinite weights and a damaged file, naming the file, with the model unchanged', async () => {
    const good = await model.saveSafetensors();
    const key = 'classifier.header.pointwise_conv.conv.bias';
    const weights = model.namedParameters().get(key)!.dataSync().slice();
    const state = model.stateDict();
    const poisoned = { ...state, [key]: tf.fill(state[key].shape, NaN) };
    const bad = await writeSafetensors(poisoned);
    tf.dispose([...Object.values(state), poisoned[key]]);

    const before = tf.memory().numTensors;
    for (const [bytes, message] of [
      [bad, /^init\.safetensors: .*(NaN|non-finite|not finite)/i],
      [good.subarray(0, 100), /^init\.safetensors: /],
    ] as const) {
      let error: unknown;
      try {
        loadInitialWeights(model, bytes, 'init.safetensors');
      } catch (thrown) {
        error = thrown;
      }
      expect(error).toBeInstanceOf(FileFormatError);
      expect((error as Error).message).toMatch(message);
      expect(tf.memory().numTensors).toBe(before);
      expect(model.namedParameters().get(key)!.dataSync()).toEqual(weights);
    }
  });
});
