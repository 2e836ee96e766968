// The onnxruntime peer of `edet bench`: a fake runtime stands in for onnxruntime-node (injected, or as a
// package folder for the command line), so the suite never needs onnxruntime installed.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import * as tf from '@tensorflow/tfjs-core';
import { EfficientDet } from '@edet/model';
import { afterAll, describe, expect, it, vi } from 'vitest';

import { BUSY_LEAD_IN_MS, runInferBenchmarks } from '../src/bench/infer.js';
import { type OnnxRuntime, loadOnnxRuntime, openOnnxPeer } from '../src/bench/onnx-peer.js';
import { runProgram } from './support/run-program.js';

const folder = mkdtempSync(join(tmpdir(), 'edet-onnx-peer-'));
const onnxFile = join(folder, 'model.onnx');
writeFileSync(onnxFile, 'not read by the fake runtime');
afterAll(() => rmSync(folder, { recursive: true, force: true }));

/** A runtime whose sessions log what they are asked, and fail to run when `failRun` says so. */
function fakeRuntime(failRun?: string) {
  const log: string[] = [];
  const created: { path: string; options: unknown }[] = [];
  const runtime: OnnxRuntime = {
    InferenceSession: {
      async create(path, options) {
        created.push({ path, options });
        return {
          inputNames: ['input'],
          async run(feeds) {
            if (failRun !== undefined) throw new Error(failRun);
            const input = feeds.input as { dims: number[] };
            log.push(`run ${input.dims.join('x')}`);
            return { scores: { dispose: () => log.push('dispose') } };
          },
          async release() {
            log.push('release');
          },
        };
      },
    },
    Tensor: class {
      constructor(
        readonly type: string,
        readonly data: Float32Array,
        readonly dims: readonly number[],
      ) {}
    },
  };
  return { runtime, log, created };
}

const peerOptions = { threads: 3, runsPerRound: 2, data: new Float32Array(3 * 4 * 5), dims: [1, 3, 4, 5] as const };

describe('openOnnxPeer', () => {
  it('opens the session without graph optimisations, runs it once, then times runsPerRound runs a round', async () => {
    const { runtime, log, created } = fakeRuntime();
    const peer = await openOnnxPeer(onnxFile, folder, peerOptions, () => ({ runtime, version: '9.9.9' }));
    if ('absent' in peer) throw new Error(peer.absent);
    expect(created).toEqual([{ path: onnxFile, options: { intraOpNumThreads: 3, graphOptimizationLevel: 'disabled' } }]);
    expect(peer).toMatchObject({ name: 'model.onnx', threads: 3, runsPerRound: 2, version: '9.9.9' });
    expect(log).toEqual(['run 1x3x4x5', 'dispose']);
    expect(await peer.time()).toBeGreaterThanOrEqual(0);
    expect(log.slice(2)).toEqual(['run 1x3x4x5', 'dispose', 'run 1x3x4x5', 'dispose']);
    await peer.close();
    expect(log.at(-1)).toBe('release');
  });

  it('says why the peer is absent instead of failing', async () => {
    const { runtime } = fakeRuntime();
    const load = () => ({ runtime, version: '1' });
    expect(await openOnnxPeer(undefined, folder, peerOptions, load)).toEqual({ absent: 'no --onnx model given' });
    expect(await openOnnxPeer(onnxFile, undefined, peerOptions, load)).toEqual({ absent: 'no --onnxruntime folder given' });
    expect(await openOnnxPeer(join(folder, 'none.onnx'), folder, peerOptions, load)).toEqual({ absent: `--onnx ${join(folder, 'none.onnx')}: no such file` });
    expect(await openOnnxPeer(onnxFile, join(folder, 'nowhere'), peerOptions, load)).toEqual({ absent: `--onnxruntime ${join(folder, 'nowhere')}: no such folder` });
    const notLoading = await openOnnxPeer(onnxFile, folder, peerOptions, () => {
      throw new Error('no binding');
    });
    expect(notLoading).toEqual({ absent: 'onnxruntime-node did not load: no binding' });
    // A model that does not take the input fails in the trial run; its session is released.
    const failing = fakeRuntime('Got invalid dimensions for input\n index: 2 Got: 4 Expected: 512');
    const wrongSize = await openOnnxPeer(onnxFile, folder, peerOptions, () => ({ runtime: failing.runtime, version: '1' }));
    expect(wrongSize).toEqual({ absent: `onnxruntime could not run ${onnxFile}: Got invalid dimensions for input; index: 2 Got: 4 Expected: 512` });
    expect(failing.log).toEqual(['release']);
  });

  it('loadOnnxRuntime refuses a folder that is not onnxruntime-node', () => {
    expect(() => loadOnnxRuntime(folder)).toThrow(/no package\.json there/);
    const other = join(folder, 'other');
    mkdirSync(other);
    writeFileSync(join(other, 'package.json'), JSON.stringify({ name: 'left-pad' }));
    expect(() => loadOnnxRuntime(other)).toThrow(/holds left-pad, expected onnxruntime-node/);
  });
});

describe('runInferBenchmarks with a peer', () => {
  it('runs the peer after the model in every warm-up and timed round, and summarises its times', async () => {
    const order: string[] = [];
    // When each run started: a timed one starts at least BUSY_LEAD_IN_MS after the run before it ended.
    const starts: number[] = [];
    const ends: number[] = [];
    const original = EfficientDet.prototype.forward;
    const spy = vi.spyOn(EfficientDet.prototype, 'forward').mockImplementation(function (this: EfficientDet, ...args) {
      order.push('edet');
      starts.push(performance.now());
      const outputs = original.apply(this, args);
      ends.push(performance.now());
      return outputs;
    });
    const peerTimes = [5, 9, 7, 6];
    const peer = {
      time: async () => {
        order.push('peer');
        starts.push(performance.now());
        ends.push(performance.now());
        return peerTimes[order.filter((entry) => entry === 'peer').length - 1];
      },
    };
    const before = tf.memory().numTensors;
    try {
      const run = await runInferBenchmarks([{ coef: 0, size: 64 }], { batch: 1, runs: 3, warmup: 1 }, [peer]);
      expect(tf.memory().numTensors).toBe(before);
      // One warm-up and three timed rounds, each edet then the peer; then the pass that counts multiply-adds.
      expect(order.slice(0, 8)).toEqual(['edet', 'peer', 'edet', 'peer', 'edet', 'peer', 'edet', 'peer']);
      expect(order.slice(8).every((entry) => entry === 'edet')).toBe(true);
      const leadIns = starts.slice(2, 8).map((start, i) => start - ends[i + 1]);
      expect(Math.min(...leadIns)).toBeGreaterThanOrEqual(BUSY_LEAD_IN_MS);
      expect(run.peers).toHaveLength(1);
      expect(run.peers[0]).toMatchObject({ timesMs: [9, 7, 6], medianMs: 7, minMs: 6, maxMs: 9 });
      expect(run.results[0].timesMs).toHaveLength(3);
    } finally {
      spy.mockRestore();
    }
  });
});

describe('edet bench --onnx', () => {
  it('reports the peer absent, with the edet result and exit code 0, when the runtime folder is missing', async () => {
    const args = ['bench', '--backend', 'wasm', '--size', '64', '--runs', '1', '--warmup', '0', '--onnx', onnxFile, '--onnxruntime', join(folder, 'nowhere')];
    const json = await runProgram([...args, '--json']);
    expect(json.error).toBeUndefined();
    const report = JSON.parse(json.out);
    expect(report.edet).toMatchObject({ backend: 'wasm', size: 64, batch: 1, runs: 1 });
    expect(report.edet.medianMs).toBeGreaterThan(0);
    expect(report.onnxruntime).toEqual({ absent: `--onnxruntime ${join(folder, 'nowhere')}: no such folder` });
    expect(report.edetToOnnxruntime).toBeNull();
    expect(report.edetToOnnxruntimeByRound).toBeNull();
    const text = await runProgram(args);
    expect(text.error).toBeUndefined();
    expect(text.out).toMatch(/^edet wasm \(\d+ threads?\): median /m);
    expect(text.out).toContain(`onnxruntime peer absent: --onnxruntime ${join(folder, 'nowhere')}: no such folder\n`);
    // --threads and --profile are for inference.
    expect((await runProgram(['bench', '--mode', 'train', '--threads', '2'])).error).toMatchObject({
      message: '--threads sets the threads of inference; it does not go with --mode train (see --workers)',
    });
    expect((await runProgram(['bench', '--mode', 'train', '--profile'])).error).toMatchObject({ message: '--profile profiles inference; it does not go with --mode train' });
  });

  it('times a runtime loaded from its package folder interleaved with edet, a batch as runs in a row', async () => {
    // A package folder that looks like onnxruntime-node: a run yields once, then holds the thread until 2 ms
    // have passed on the clock the bench reads (a timer alone may fire early against performance.now()).
    const runtime = join(folder, 'onnxruntime-node');
    mkdirSync(runtime);
    writeFileSync(join(runtime, 'package.json'), JSON.stringify({ name: 'onnxruntime-node', version: '0.0.1-fake', main: 'index.js' }));
    writeFileSync(
      join(runtime, 'index.js'),
      `const { performance } = require('node:perf_hooks');
const hold = async (ms) => { const start = performance.now(); await new Promise((done) => setImmediate(done)); while (performance.now() - start < ms) {} };
exports.Tensor = class { constructor(type, data, dims) { this.dims = dims; } };
exports.InferenceSession = { create: async () => ({ inputNames: ['input'], run: async (feeds) => {
  if (feeds.input.dims.join('x') !== '1x3x64x64') throw new Error('wrong input ' + feeds.input.dims.join('x'));
  await hold(2); return {}; } }) };\n`,
    );
    const args = ['bench', '--backend', 'wasm', '--size', '64', '--batch', '2', '--runs', '2', '--warmup', '0', '--onnx', onnxFile, '--onnxruntime', runtime, '--threads', '1'];
    const json = await runProgram([...args, '--json']);
    expect(json.error).toBeUndefined();
    const report = JSON.parse(json.out);
    expect(report.onnxruntime).toMatchObject({ version: '0.0.1-fake', threads: 1, graphOptimizationLevel: 'disabled', sessionRunsPerRound: 2 });
    // Two runs of at least 2 ms a round.
    expect(report.onnxruntime.minMs).toBeGreaterThanOrEqual(4);
    expect(report.onnxruntime.imagesPerSecond).toBeCloseTo(2000 / report.onnxruntime.medianMs, 9);
    expect(report.edetToOnnxruntime).toBeCloseTo(report.edet.medianMs / report.onnxruntime.medianMs, 9);
    const byRound = report.edet.timesMs.map((edetMs: number, round: number) => edetMs / report.onnxruntime.timesMs[round]);
    expect(report.edetToOnnxruntimeByRound).toBeCloseTo((byRound[0] + byRound[1]) / 2, 9);
    const text = await runProgram(args);
    expect(text.out).toContain("interleaved with onnxruntime-node 0.0.1-fake on model.onnx (1 intra-op thread, graph optimisations disabled; each timed run, edet's or onnxruntime's, after 20 ms of busy waiting); the model takes one image, so each round runs it 2 times in a row\n");
    expect(text.out).toMatch(/^onnxruntime: median \d+\.\d ms .* over the same 2 rounds; \d+\.\d\d images\/s$/m);
    expect(text.out).toMatch(/^edet\/onnxruntime: \d+\.\d\d \(median latency; above 1, edet is slower\); median of the rounds' own ratios \d+\.\d\d$/m);
  });
});
