// The .pth fixtures PyTorch itself wrote (../shared/weights/pth): each equals its safetensors twin bit for bit.
import { readFileSync } from 'node:fs';

import { parseSafetensors } from '@edet/safetensors';
import { describe, expect, it } from 'vitest';

import { PthError, pthToSafetensors, readPth } from '../src/index.js';
import { sharedPath } from '../../tensor/test/shared-fixtures.js';

const pth = (name: string): Uint8Array => readFileSync(sharedPath('weights', 'pth', name));
const D0_TWIN = ['weights', 'efficientdet-d0-synthetic.safetensors'];
const LITE0_TWIN = ['golden', 'effdet-synthetic', 'tf_efficientdet_lite0', 'weights.safetensors'];

/** The twin's tensors as raw bytes by name, with dtype and shape. */
function twinTensors(parts: string[]): Map<string, { dtype: string; shape: number[]; data: Uint8Array }> {
  const { bytes, header } = parseSafetensors(readFileSync(sharedPath(...parts)));
  return new Map(
    header.entries.map((entry) => [
      entry.name,
      { dtype: entry.dtype, shape: entry.shape, data: bytes.subarray(header.dataStart + entry.dataOffsets[0], header.dataStart + entry.dataOffsets[1]) },
    ]),
  );
}

function expectSameTensors(actual: ReturnType<typeof readPth>['tensors'], twin: ReturnType<typeof twinTensors>): void {
  // The D0 twin dropped `num_batches_tracked` (its metadata says so); every other name must match.
  const names = Object.keys(actual).filter((name) => twin.has(name) || !name.endsWith('num_batches_tracked'));
  expect(names.sort()).toEqual([...twin.keys()].sort());
  for (const name of names) {
    const expected = twin.get(name)!;
    const tensor = actual[name];
    expect({ name, dtype: tensor.dtype, shape: tensor.shape }).toEqual({ name, dtype: expected.dtype, shape: expected.shape });
    expect(Buffer.compare(Buffer.from(tensor.data), Buffer.from(expected.data)), name).toBe(0);
  }
}

describe('PyTorch-written .pth fixtures', () => {
  it('reads the legacy-format D0 state dict equal to its twin', () => {
    const contents = readPth(pth('efficientdet-d0-synthetic.legacy.pth'));
    expect(contents.format).toBe('legacy');
    expectSameTensors(contents.tensors, twinTensors(D0_TWIN));
  });

  it('reads the zip-format Lite0 state dict equal to its twin, num_batches_tracked included', () => {
    const contents = readPth(pth('tf_efficientdet_lite0-synthetic.pth'));
    expect(contents.format).toBe('zip');
    expect(Object.keys(contents.tensors).filter((name) => name.endsWith('num_batches_tracked')).length).toBeGreaterThan(0);
    expectSameTensors(contents.tensors, twinTensors(LITE0_TWIN));
  });

  it("takes a training checkpoint's state_dict (model. prefix removed) past its argparse.Namespace and optimizer", () => {
    const contents = readPth(pth('tf_efficientdet_lite0-train-checkpoint.pth'));
    expectSameTensors(contents.tensors, twinTensors(LITE0_TWIN));
    expect(contents.metadata).toEqual({ arch: 'tf_efficientdet_lite0', epoch: '12' });
  });

  it('takes state_dict_ema with ema: true: the twin plus 1.0 in every floating-point tensor', () => {
    const { tensors } = readPth(pth('tf_efficientdet_lite0-train-checkpoint.pth'), { ema: true });
    const twin = twinTensors(LITE0_TWIN);
    expect(Object.keys(tensors).sort()).toEqual([...twin.keys()].sort());
    for (const [name, expected] of twin) {
      const data = tensors[name].data;
      if (expected.dtype !== 'F32') {
        expect(Buffer.compare(Buffer.from(data), Buffer.from(expected.data)), name).toBe(0);
        continue;
      }
      // Copies (Buffer.slice would be a view), aligned for Float32Array; a plain loop keeps 3.3M values fast.
      const twin = new Float32Array(new Uint8Array(expected.data).buffer);
      const plusOne = new Float32Array(twin.length);
      for (let i = 0; i < twin.length; i++) plusOne[i] = twin[i] + 1;
      expect(Buffer.compare(Buffer.from(data), Buffer.from(plusOne.buffer)), name).toBe(0);
    }
  });

  it('converts to safetensors whose tensors are the twin bit for bit (num_batches_tracked kept)', () => {
    const converted = pthToSafetensors(pth('tf_efficientdet_lite0-synthetic.pth'), { metadata: { note: 'x' } });
    const { bytes, header } = parseSafetensors(converted);
    expect(header.metadata).toEqual({ format: 'pt', note: 'x' });
    const twin = twinTensors(LITE0_TWIN);
    expect(header.entries.map((entry) => entry.name)).toEqual([...twin.keys()]);
    for (const entry of header.entries) {
      const data = bytes.subarray(header.dataStart + entry.dataOffsets[0], header.dataStart + entry.dataOffsets[1]);
      expect(Buffer.compare(Buffer.from(data), Buffer.from(twin.get(entry.name)!.data)), entry.name).toBe(0);
    }
  });

  it('refuses every fixture cut short (at offsets through the pickles and the storages) with a PthError', () => {
    let cases = 0;
    for (const name of ['efficientdet-d0-synthetic.legacy.pth', 'tf_efficientdet_lite0-synthetic.pth']) {
      const bytes = pth(name);
      for (const length of [1, 2, 3, 10, 30, 100, 1000, 20_000, 100_000, bytes.length >> 1, bytes.length - 100, bytes.length - 1]) {
        expect(() => readPth(bytes.subarray(0, length), { source: name }), `${name} cut to ${length}`).toThrow(PthError);
        cases++;
      }
    }
    expect(cases).toBe(24);
  });
});
