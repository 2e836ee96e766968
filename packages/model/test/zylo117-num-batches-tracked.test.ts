// A zylo117 state dict as PyTorch saves it holds BN `num_batches_tracked` counters: accepted and ignored.
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { EfficientDet, loadCheckpoint } from '../src/index.js';
import { StateDictError } from '@edet/tensor';

import { rewrite } from './support/checkpoint-files.js';

describe('zylo117 checkpoints with num_batches_tracked', () => {
  let source: EfficientDet;
  let bytes: Uint8Array;
  beforeAll(async () => {
    source = new EfficientDet({ compoundCoef: 0, numClasses: 2, seed: 3 });
    bytes = await source.saveSafetensors();
  });
  afterAll(() => source.dispose());

  it('loads with every BN counter present, freeing them, and the weights equal the source', () => {
    const file = rewrite(bytes, (t) => {
      for (const key of Object.keys(t)) {
        if (key.endsWith('.running_var')) t[key.replace(/running_var$/, 'num_batches_tracked')] = tf.scalar(77, 'int32');
      }
    });
    const target = new EfficientDet({ compoundCoef: 0, numClasses: 2, seed: 9 });
    try {
      const start = tf.memory().numTensors;
      expect(loadCheckpoint(target, file)).toEqual({ layout: 'zylo117', poolPadding: 'zero' });
      expect(tf.memory().numTensors).toBe(start);
      const a = source.stateDict();
      const b = target.stateDict();
      const key = 'classifier.header.pointwise_conv.conv.bias';
      expect([...b[key].dataSync()]).toEqual([...a[key].dataSync()]);
      tf.dispose([...Object.values(a), ...Object.values(b)]);
    } finally {
      target.dispose();
    }
  });

  it('still rejects a counter of no BN layer as an unexpected key', () => {
    const file = rewrite(bytes, (t) => void (t['bifpn.0.no_such_bn.num_batches_tracked'] = tf.scalar(1, 'int32')));
    const target = new EfficientDet({ compoundCoef: 0, numClasses: 2, seed: 9 });
    try {
      expect(() => loadCheckpoint(target, file)).toThrow(StateDictError);
      expect(() => loadCheckpoint(target, file)).toThrow(/unexpected keys \(1\): bifpn\.0\.no_such_bn\.num_batches_tracked/);
    } finally {
      target.dispose();
    }
  });
});
