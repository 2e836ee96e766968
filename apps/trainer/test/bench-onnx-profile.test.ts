// `edet bench --profile` with the onnxruntime peer: onnxruntime's own trace, read back by class of operator.
// Fake runtimes write hand-made traces, so the suite never needs onnxruntime installed.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { type OnnxRuntime, type OnnxSessionOptions, openOnnxPeer } from '../src/bench/onnx-peer.js';
import { type OnnxNodeRecord, type OnnxTraceEvent, classifyOnnxNode, onnxNodeMacs, summarizeOnnxTrace } from '../src/bench/onnx-profile.js';
import { runProgram } from './support/run-program.js';

const folder = mkdtempSync(join(tmpdir(), 'edet-onnx-profile-test-'));
const onnxFile = join(folder, 'model.onnx');
writeFileSync(onnxFile, 'not read by the fake runtimes');
afterAll(() => rmSync(folder, { recursive: true, force: true }));

const node = (op: string, inputShapes: (number[] | null)[], output: number[]): OnnxNodeRecord => ({ op, inputShapes, outputShapes: [output], ms: 1 });

describe('classifyOnnxNode', () => {
  it('tells convolutions apart by their weights, and swish, fusion and gates by shapes and the node before', () => {
    const map = [1, 16, 8, 8];
    const conv1x1 = node('Conv', [map, [32, 16, 1, 1], [32]], [1, 32, 8, 8]);
    expect(classifyOnnxNode(conv1x1)).toBe('conv1x1');
    expect(classifyOnnxNode(node('Conv', [map, [16, 1, 3, 3]], map))).toBe('depthwise');
    expect(classifyOnnxNode(node('Conv', [[1, 3, 16, 16], [16, 3, 3, 3]], map))).toBe('convKxK');
    // A grouped convolution that is not depthwise (two input channels per group) is a full one.
    expect(classifyOnnxNode(node('Conv', [map, [16, 2, 3, 3]], map))).toBe('convKxK');
    const sigmoid = node('Sigmoid', [map], map);
    expect(classifyOnnxNode(sigmoid)).toBe('activation');
    expect(classifyOnnxNode(node('Mul', [map, map], map), { node: sigmoid, kind: 'activation' })).toBe('activation');
    // The same product after anything else is other elementwise math.
    expect(classifyOnnxNode(node('Mul', [map, map], map), { node: conv1x1, kind: 'conv1x1' })).toBe('elementwise');
    const weighted = node('Mul', [[], map], map);
    expect(classifyOnnxNode(weighted)).toBe('fusion');
    expect(classifyOnnxNode(node('Add', [map, map], map), { node: weighted, kind: 'fusion' })).toBe('fusion');
    expect(classifyOnnxNode(node('Add', [map, map], map), { node: conv1x1, kind: 'conv1x1' })).toBe('elementwise');
    expect(classifyOnnxNode(node('Mul', [map, [1, 16, 1, 1]], map))).toBe('reduction');
    expect(classifyOnnxNode(node('GlobalAveragePool', [map], [1, 16, 1, 1]))).toBe('reduction');
    expect(classifyOnnxNode(node('Pad', [map, [8]], [1, 16, 9, 9]))).toBe('dataMovement');
    expect(classifyOnnxNode(node('MaxPool', [map], [1, 16, 4, 4]))).toBe('resampling');
    expect(classifyOnnxNode(node('Shape', [map], [4]))).toBe('other');
  });

  it('counts a convolution as output size times the inputs each output reads', () => {
    expect(onnxNodeMacs(node('Conv', [[1, 16, 8, 8], [32, 16, 1, 1]], [1, 32, 8, 8]))).toBe(32 * 64 * 16);
    expect(onnxNodeMacs(node('Conv', [[1, 16, 8, 8], [16, 1, 3, 3]], [1, 16, 4, 4]))).toBe(16 * 16 * 9);
    expect(onnxNodeMacs(node('Conv', [[1, 3, 16, 16], [16, 3, 3, 3]], [1, 16, 8, 8]))).toBe(16 * 64 * 27);
    expect(onnxNodeMacs(node('Add', [[1, 16, 8, 8], [1, 16, 8, 8]], [1, 16, 8, 8]))).toBe(0);
  });
});

/** The node events of one session run starting at `ts` (µs): a 1x1 convolution, sigmoid then swish's product, a pad. */
function runEvents(ts: number, durations: { conv: number; sigmoid: number; mul: number; pad: number }): OnnxTraceEvent[] {
  const map = { float: [1, 4, 2, 2] };
  const kernel = (name: string, start: number, dur: number, op: string, inputs: Record<string, number[]>[], output: Record<string, number[]>): OnnxTraceEvent => ({
    cat: 'Node',
    name: `${name}_kernel_time`,
    ts: start,
    dur,
    args: { op_name: op, input_type_shape: inputs, output_type_shape: [output] },
  });
  return [
    { cat: 'Session', name: 'model_run', ts, dur: 10_000 },
    // Listed out of order: the run's nodes are put in order by their start.
    kernel('/sigmoid', ts + 2000, durations.sigmoid, 'Sigmoid', [map], map),
    kernel('/conv', ts + 100, durations.conv, 'Conv', [{ float: [1, 2, 2, 2] }, { float: [4, 2, 1, 1] }, { float: [4] }], map),
    { cat: 'Node', name: '/conv_fence_before', ts: ts + 90, dur: 0, args: { op_name: 'Conv' } },
    kernel('/mul', ts + 3000, durations.mul, 'Mul', [map, map], map),
    kernel('/pad', ts + 4000, durations.pad, 'Pad', [map, { int64: [8] }], { float: [1, 4, 3, 3] }),
  ];
}

describe('summarizeOnnxTrace', () => {
  it('takes the last runs, sums each class in every run and gives the medians', () => {
    const events: OnnxTraceEvent[] = [
      { cat: 'Session', name: 'session_initialization', ts: 0, dur: 500 },
      ...runEvents(1000, { conv: 9000, sigmoid: 900, mul: 900, pad: 900 }), // the warm-up, left out
      ...runEvents(20_000, { conv: 1000, sigmoid: 200, mul: 300, pad: 50 }),
      ...runEvents(40_000, { conv: 3000, sigmoid: 100, mul: 100, pad: 70 }),
      ...runEvents(60_000, { conv: 2000, sigmoid: 400, mul: 400, pad: 60 }),
    ];
    const profile = summarizeOnnxTrace(events, 3);
    expect(profile.runs).toBe(3);
    expect(profile.nodes).toBe(4);
    expect(profile.macs).toBe(16 * 2);
    expect(profile.wallMs).toBe(10);
    const byKind = Object.fromEntries(profile.classes.map((share) => [share.kind, share]));
    expect(Object.keys(byKind)).toEqual(['conv1x1', 'activation', 'dataMovement']);
    // Medians of the runs' sums: conv 1, 3, 2 ms; swish 0.5, 0.2, 0.8 ms; pad 0.05, 0.07, 0.06 ms.
    expect(byKind.conv1x1).toMatchObject({ ms: 2, kernels: 1, kernelNames: ['Conv'] });
    expect(byKind.activation).toMatchObject({ kernels: 2, kernelNames: ['Mul', 'Sigmoid'] });
    expect(byKind.activation.ms).toBeCloseTo(0.5, 12);
    expect(byKind.dataMovement.ms).toBeCloseTo(0.06, 12);
    expect(profile.totalMs).toBeCloseTo(2.56, 12);
    expect(profile.outsideNodesMs).toBeCloseTo(10 - 2.56, 12);
    expect(profile.classes.reduce((sum, share) => sum + share.percent, 0)).toBeCloseTo(100, 9);
    expect(() => summarizeOnnxTrace(events, 5)).toThrow(new RangeError("onnxruntime's profile holds 4 session runs, expected at least 5"));
    expect(() => summarizeOnnxTrace(events, 0)).toThrow(RangeError);
  });
});

/**
 * A runtime whose sessions, opened with profiling, add a run's events to their trace at every run and
 * write it to `<profileFilePrefix>_fake.json` at `endProfiling` (unless `endProfiling` is left out).
 */
function profilingRuntime(withEndProfiling = true) {
  const created: OnnxSessionOptions[] = [];
  const released: boolean[] = [];
  const runtime: OnnxRuntime = {
    InferenceSession: {
      async create(_path, options) {
        created.push(options);
        const index = released.push(false) - 1;
        const events: OnnxTraceEvent[] = [];
        const session = {
          inputNames: ['input'],
          async run() {
            events.push(...runEvents(100_000 * events.length, { conv: 1000, sigmoid: 100, mul: 100, pad: 100 }));
            return {};
          },
          async release() {
            released[index] = true;
          },
        };
        const endProfiling = () => writeFileSync(`${options.profileFilePrefix}_fake.json`, JSON.stringify(events));
        return withEndProfiling ? { ...session, endProfiling } : session;
      },
    },
    Tensor: class {},
  };
  return { runtime, created, released };
}

const peerOptions = { threads: 2, runsPerRound: 1, data: new Float32Array(12), dims: [1, 3, 2, 2] as const };

describe('OnnxPeer.profile', () => {
  it('profiles in a session of its own, then releases it and removes its trace', async () => {
    const { runtime, created, released } = profilingRuntime();
    const peer = await openOnnxPeer(onnxFile, folder, peerOptions, () => ({ runtime, version: '1' }));
    if ('absent' in peer) throw new Error(peer.absent);
    const profile = await peer.profile(3);
    expect(created[0]).toEqual({ intraOpNumThreads: 2, graphOptimizationLevel: 'disabled' });
    expect(created[1]).toMatchObject({ intraOpNumThreads: 2, graphOptimizationLevel: 'disabled', enableProfiling: true });
    // One warm-up run and three profiled ones, each with four nodes.
    expect(profile).toMatchObject({ runs: 3, nodes: 4, wallMs: 10 });
    expect(profile.classes.find((share) => share.kind === 'conv1x1')?.ms).toBe(1);
    expect(released).toEqual([false, true]);
    expect(existsSync(dirname(created[1].profileFilePrefix ?? ''))).toBe(false);
    await peer.close();
    expect(released).toEqual([true, true]);
  });

  it('fails with the reason when the runtime cannot profile, and still cleans up', async () => {
    const { runtime, created, released } = profilingRuntime(false);
    const peer = await openOnnxPeer(onnxFile, folder, peerOptions, () => ({ runtime, version: '1' }));
    if ('absent' in peer) throw new Error(peer.absent);
    await expect(peer.profile(1)).rejects.toThrow('this onnxruntime has no endProfiling');
    expect(released).toEqual([false, true]);
    expect(existsSync(dirname(created[1].profileFilePrefix ?? ''))).toBe(false);
    await peer.close();
  });
});

describe('edet bench --profile --onnx', () => {
  it("prints onnxruntime's profile by class after edet's, and puts it in the JSON report", async () => {
    // A package folder that looks like onnxruntime-node and profiles as the runtime above does.
    const runtime = join(folder, 'onnxruntime-node');
    mkdirSync(runtime);
    writeFileSync(join(runtime, 'package.json'), JSON.stringify({ name: 'onnxruntime-node', version: '0.0.2-fake', main: 'index.js' }));
    writeFileSync(
      join(runtime, 'index.js'),
      `const { writeFileSync } = require('node:fs');
exports.Tensor = class { constructor(type, data, dims) { this.dims = dims; } };
exports.InferenceSession = { create: async (path, options) => {
  const events = [];
  return { inputNames: ['input'],
    run: async () => {
      const ts = 100000 * events.length;
      events.push({ cat: 'Session', name: 'model_run', ts, dur: 5000 },
        { cat: 'Node', name: 'c_kernel_time', ts: ts + 10, dur: 4000, args: { op_name: 'Conv', input_type_shape: [{ float: [1, 3, 64, 64] }, { float: [8, 3, 1, 1] }], output_type_shape: [{ float: [1, 8, 64, 64] }] } });
      return {};
    },
    endProfiling: () => writeFileSync(options.profileFilePrefix + '_fake.json', JSON.stringify(events)) };
} };\n`,
    );
    const args = ['bench', '--backend', 'wasm', '--size', '64', '--runs', '2', '--warmup', '0', '--threads', '1', '--onnx', onnxFile, '--onnxruntime', runtime];
    const text = await runProgram([...args, '--profile']);
    expect(text.error).toBeUndefined();
    const lines = text.out.split('\n');
    const heading = lines.findIndex((line) => line.startsWith("onnxruntime profile: medians of 2 runs under onnxruntime's profiler, by class of operator"));
    expect(heading).toBeGreaterThan(lines.findIndex((line) => line.startsWith('profile: medians of 2 passes under tf.profile')));
    expect(lines[heading + 1]).toMatch(/^ {2}1x1 convolutions +4\.00 ms 100\.0% +1 node$/);
    expect(lines[heading + 2]).toMatch(/^ {2}total +4\.00 ms 100\.0% +1 nodes$/);
    expect(lines[heading + 3]).toMatch(/^ {2}wall clock of the same runs +5\.00 ms \(outside nodes: 1\.00 ms, mostly the profiler's\)$/);
    expect(lines[heading + 4]).toBe('  operators: 1x1 convolutions Conv');
    const json = JSON.parse((await runProgram([...args, '--profile', '--json'])).out);
    expect(json.onnxruntime.profile).toMatchObject({ runs: 2, nodes: 1, macs: 8 * 64 * 64 * 3, totalMs: 4, wallMs: 5 });
    // At most 20 runs are profiled, whatever --runs says.
    const long = JSON.parse((await runProgram([...args.map((arg) => (arg === '2' ? '21' : arg)), '--profile', '--json'])).out);
    expect(long.edet.runs).toBe(21);
    expect(long.onnxruntime.profile.runs).toBe(20);
    // Without --profile there is no profiling session.
    const plain = JSON.parse((await runProgram([...args, '--json'])).out);
    expect(plain.onnxruntime.medianMs).toBeGreaterThan(0);
    expect(plain.onnxruntime.profile).toBeUndefined();
  });
});
