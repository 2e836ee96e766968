import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';

import { EfficientDet } from '@edet/model';
import { InvalidArgumentError } from '@edet/tensor';

// Every bad input of the spec gets an InvalidArgumentError that names the argument, what was expected and
// what was given; none of them leaks a tensor.
describe('bad inputs', () => {
  // The network runs at batch 2 at 128 (the NaN and channelsLast cases), as in loss.test.ts with the same
  // config: in browser mode the GPU backends then reuse the programs compiled there.
  const model = new EfficientDet({ compoundCoef: 0, numClasses: 3, fpnLayers: 1, headLayers: 1 });
  afterAll(() => model.dispose());
  // Tensors alive besides the model's own cache (inference passes keep its batch norms folded).
  const live = () => tf.memory().numTensors - model.cachedTensorCount();

  const cases: [string, () => tf.Tensor, RegExp][] = [
    ['wrong rank', () => tf.zeros([3, 128, 128]), /^x: expected a rank-4 tensor \[N, 3, H, W\], got shape \[3,128,128\]$/],
    ['wrong channel count', () => tf.zeros([1, 4, 128, 128]), /^x: expected 3 channels on axis 1 \[N, 3, H, W\], got shape \[1,4,128,128\]$/],
    ['channels last given as channels first', () => tf.zeros([1, 128, 128, 3]), /x: expected 3 channels on axis 1/],
    // Any positive size runs (as effdet runs it); an empty one does not.
    ['zero height', () => tf.zeros([1, 3, 0, 128]), /^x: expected a non-empty batch with positive height and width, got shape \[1,3,0,128\] \(0x128\)$/],
    ['empty batch', () => tf.zeros([0, 3, 128, 128]), /non-empty batch/],
    ['integer dtype', () => tf.zeros([1, 3, 128, 128], 'int32'), /^x: expected dtype float32, got dtype int32$/],
  ];

  it.each(cases)('%s', (_, make, message) => {
    const x = make();
    const start = live();
    expect(() => model.forward(x as tf.Tensor4D)).toThrow(InvalidArgumentError);
    expect(() => model.forward(x as tf.Tensor4D)).toThrow(message);
    expect(live()).toBe(start);
    x.dispose();
  });

  it('NaN input: forward rejects it where reading back is synchronous and cheap (cpu, wasm)', () => {
    const x = tf.fill([2, 3, 128, 128], NaN) as tf.Tensor4D;
    const start = live();
    if (['cpu', 'wasm'].includes(tf.getBackend())) {
      expect(() => model.forward(x)).toThrow(/^x: expected finite values, got NaN or Infinity$/);
    } else {
      tf.dispose(model.forward(x)); // GPU backends: no synchronous read-back in forward
    }
    expect(live()).toBe(start);
    x.dispose();
  });

  it('NaN input: predict rejects it on every backend (asynchronous check)', async () => {
    const x = tf.fill([1, 3, 128, 128], NaN) as tf.Tensor4D;
    const start = live();
    await expect(model.predict(x)).rejects.toThrow(/^x: expected finite values, got NaN or Infinity$/);
    expect(live()).toBe(start);
    x.dispose();
  });

  it('predict rejects the same inputs without leaking', async () => {
    const x = tf.zeros([1, 3, 100, 0]);
    const start = live();
    await expect(model.predict(x as tf.Tensor4D)).rejects.toThrow(/positive height and width/);
    expect(live()).toBe(start);
    x.dispose();
  });

  it('not a tensor', () => {
    expect(() => model.forward([[1]] as unknown as tf.Tensor4D)).toThrow(/^x: expected a tf\.Tensor \[N, 3, H, W\], got an array$/);
  });

  it('channelsLast accepts [N, H, W, 3] and rejects [N, 3, H, W]', () => {
    const x = tf.zeros([2, 128, 128, 3]) as tf.Tensor4D;
    const outputs = model.forward(x, { channelsLast: true });
    expect(outputs[0].shape).toEqual([2, 9 * (16 * 16 + 8 * 8 + 4 * 4 + 2 * 2 + 1), 3]);
    tf.dispose([x, ...outputs]);
    const y = tf.zeros([1, 3, 128, 128]) as tf.Tensor4D;
    expect(() => model.forward(y, { channelsLast: true })).toThrow(/3 channels on axis 3/);
    y.dispose();
  });

  it('detect: images that are not decoded pixels', async () => {
    await expect(model.detect([])).rejects.toThrow(/^images: expected at least one image, got an empty list$/);
    const image = { data: new Uint8Array(10), width: 2, height: 2, channels: 3 as const };
    await expect(model.detect(image)).rejects.toThrow(/^image\.data: expected 2x2x3 = 12 bytes, got 10 bytes$/);
    await expect(model.detect({ ...image, channels: 2 as 3 })).rejects.toThrow(/image\.channels: expected 3 \(RGB\) or 4 \(RGBA\), got 2/);
  });

  it.each([
    [{ compoundCoef: 9 }, /^config\.compoundCoef: expected an integer in 0\.\.8, got 9$/],
    [{ compoundCoef: 0, numClasses: 0 }, /^config\.numClasses: expected an integer >= 1, got 0$/],
    [{ compoundCoef: 0, numAnchors: 6 }, /^config\.numAnchors: expected anchorScales\.length x anchorRatios\.length = 9/],
    [{ compoundCoef: 0, inputSize: 0 }, /^config\.inputSize: expected a positive integer \(square side\) or \[height, width\] of positive integers, got 0$/],
    [{ compoundCoef: 0, inputSize: 500.5 }, /^config\.inputSize: expected a positive integer/],
    [{ compoundCoef: 0, inputSize: [384] as unknown as number }, /^config\.inputSize: expected .*, got \[384\]$/],
    [{ compoundCoef: 0, inputSize: [384, -640] as [number, number] }, /^config\.inputSize: expected .*, got \[384,-640\]$/],
    [{ compoundCoef: 0, inputSize: '512' as unknown as number }, /^config\.inputSize: expected .*, got "512"$/],
  ])('config %j', (config, message) => {
    const start = live();
    expect(() => new EfficientDet(config)).toThrow(message);
    expect(live()).toBe(start);
  });
});
