// `edet bench --relaxed-simd`: the wasm convolutions multiply-add with relaxed SIMD, and the report says so.
// This file turns on Node 20's `--experimental-wasm-relaxed-simd` before any wasm kernel compiles
// (vitest.config.ts runs it in a process of its own); Node 22 and later have relaxed SIMD already.
import v8 from 'node:v8';

import { describe, expect, it } from 'vitest';

import { runProgram } from './support/run-program.js';

v8.setFlagsFromString('--experimental-wasm-relaxed-simd');

const ARGS = ['bench', '--backend', 'wasm', '--size', '64', '--runs', '1', '--warmup', '0', '--threads', '1'];

describe('edet bench --relaxed-simd', () => {
  it('times the relaxed path when asked, the plain one otherwise, and says which in text and JSON', async () => {
    const relaxed = await runProgram([...ARGS, '--relaxed-simd', '--json']);
    expect(relaxed.error).toBeUndefined();
    expect(JSON.parse(relaxed.out)).toMatchObject({ backend: 'wasm', threads: 1, relaxedSimd: true });
    const relaxedText = await runProgram([...ARGS, '--relaxed-simd']);
    expect(relaxedText.out).toMatch(/^wasm \(1 thread, relaxed SIMD\): median /m);

    const plain = await runProgram([...ARGS, '--json']);
    expect(JSON.parse(plain.out)).toMatchObject({ backend: 'wasm', threads: 1, relaxedSimd: false });
    const plainText = await runProgram(ARGS);
    expect(plainText.out).toMatch(/^wasm \(1 thread\): median /m);
  });

  it('is for inference only', async () => {
    expect((await runProgram(['bench', '--mode', 'train', '--relaxed-simd'])).error).toMatchObject({
      message: '--relaxed-simd is an inference path; it does not go with --mode train',
    });
  });
});
