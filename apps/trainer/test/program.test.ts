import { CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';

import { runProgram } from './support/run-program.js';

/** Runs the program in-process on `args`, capturing what it writes. */
const run = runProgram;

describe('edet program', () => {
  it('reports a bad option value as one edet: line and exit code 1', async () => {
    const result = await run(['detect', '--score-threshold', '2']);
    expect(result.error).toBeInstanceOf(CommanderError);
    expect((result.error as CommanderError).exitCode).toBe(1);
    expect(result.err).toBe("edet: option '--score-threshold <s>' argument '2' is invalid. expected a number from 0 to 1.\n");
  });

  it('reports a bad choice and an unknown option on one line each', async () => {
    const backend = await run(['detect', '--backend', 'webgl']);
    expect(backend.err).toMatch(/^edet: option '--backend <name>' argument 'webgl' is invalid\. Allowed choices are wasm, cpu\.\n$/);
    const unknown = await run(['bench', '--jsn']);
    expect(unknown.err.split('\n').filter(Boolean)).toHaveLength(1);
    expect(unknown.err).toMatch(/^edet: unknown option '--jsn'/);
  });

  it('bench --mode train times a step and reports its breakdown and the forward-pass peer', async () => {
    const result = await run(['bench', '--mode', 'train', '--size', '128', '--batch', '1', '--runs', '2', '--warmup', '0', '--json']);
    expect(result.error).toBeUndefined();
    const report = JSON.parse(result.out);
    expect(report).toMatchObject({ backend: 'wasm', coef: 0, size: 128, batch: 1, runs: 2 });
    for (const key of ['medianMs', 'minMs', 'maxMs', 'inferenceForwardMs', 'stepToForwardRatio']) expect(report[key]).toBeGreaterThan(0);
    const { forwardMs, backwardMs, updateMs } = report.breakdown;
    expect(forwardMs + backwardMs + updateMs).toBeGreaterThan(0);
    expect(report.minMs).toBeLessThanOrEqual(report.medianMs);
  });

  it('bench --mode train with workers times the step on worker threads and the same step in one thread', async () => {
    const result = await run(['bench', '--mode', 'train', '--size', '128', '--batch', '2', '--workers', '2', '--runs', '1', '--warmup', '0', '--json']);
    expect(result.error).toBeUndefined();
    const report = JSON.parse(result.out);
    expect(report).toMatchObject({ batch: 2, workers: 2, microBatch: 1 });
    expect(report.singleThreadMs).toBeGreaterThan(0);
    expect(report.parallelSpeedup).toBeCloseTo(report.singleThreadMs / report.medianMs, 6);
    // Without --workers on a batch of 1 there is nothing to spread: one thread, no second peer.
    const single = JSON.parse((await run(['bench', '--mode', 'train', '--size', '128', '--batch', '1', '--runs', '1', '--warmup', '0', '--json'])).out);
    expect(single).toMatchObject({ workers: 1, singleThreadMs: null, parallelSpeedup: null });
  }, 120_000);

  it('prints help on stdout', async () => {
    const result = await run(['detect', '--help']);
    expect((result.error as CommanderError).exitCode).toBe(0);
    expect(result.out).toContain('--score-threshold <s>');
    expect(result.out).toContain('--nms <mode>');
    // Commander wraps the descriptions; compare with the line breaks undone.
    expect(result.out.replace(/\s+/g, ' ')).toContain('(default: the bundled BCCD D0 model)');
  });
});
