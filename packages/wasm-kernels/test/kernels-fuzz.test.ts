/**
 * Differential fuzz of every tfjs kernel @edet/wasm-kernels registers for wasm, against tfjs's cpu backend
 * (and a float64 reference where the cpu kernel is itself wrong), on seeded random calls over dtypes,
 * empty tensors, size-1 axes, odd shapes, NaN / +-Infinity and the attributes: values, NaN positions,
 * dtypes and shapes must agree, and nothing may leak on wasm, also when a call throws.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';

import { registerWasmKernels } from '../src/index.js';
import { dilatedDepthwiseReference } from './support/depthwise-reference.js';
import { type FuzzCase, type Outcome, differentialFailures } from './support/differential.js';
import { tfjsKernelCases } from './support/fuzz-cases.js';

beforeAll(async () => {
  await tf.setBackend('wasm');
  registerWasmKernels();
});

/**
 * `UnsortedSegmentSum` in float64, rows outside a segment skipped: tfjs's cpu kernel multiplies every row by
 * a 0/1 mask, so one Infinity anywhere turns every segment NaN. The dtype is the cpu kernel's, float32.
 */
function segmentSumReference(c: FuzzCase): Outcome | undefined {
  if (c.kernel !== 'UnsortedSegmentSum' || Array.isArray(c.inputs)) return undefined;
  const { x, segmentIds } = c.inputs;
  const numSegments = c.attrs.numSegments as number;
  const rows = segmentIds.values.length;
  const inner = x.shape.slice(segmentIds.shape.length).reduce((a, b) => a * b, 1);
  const out = new Float64Array(numSegments * inner);
  for (let i = 0; i < rows; i++) {
    const id = segmentIds.values[i];
    if (id < 0 || id >= numSegments) continue;
    for (let j = 0; j < inner; j++) out[id * inner + j] += x.values[i * inner + j];
  }
  const values = Array.from(out, (v) => Math.fround(v));
  return { outputs: [{ values, shape: [numSegments, ...x.shape.slice(segmentIds.shape.length)], dtype: 'float32' }] };
}

// 30 calls per kernel by default (390 in all, well under a second); EDET_FUZZ_SEED and EDET_FUZZ_COUNT run
// other or longer draws when looking for faults.
const SEED = Number(process.env.EDET_FUZZ_SEED ?? 13);
const COUNT = Number(process.env.EDET_FUZZ_COUNT ?? 30);

describe('the tfjs kernels edet registers for wasm, against cpu', () => {
  it(`agree on ${COUNT} seeded random calls each and leak nothing`, async () => {
    const cases = tfjsKernelCases(SEED, COUNT);
    const reference = (c: FuzzCase) => segmentSumReference(c) ?? dilatedDepthwiseReference(c);
    const failures = await differentialFailures(cases, 1e-4, reference);
    expect(failures).toEqual([]);
  });
});
