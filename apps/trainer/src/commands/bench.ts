import { availableParallelism } from 'node:os';

import * as tf from '@tensorflow/tfjs-core';
import { Option, type Command } from 'commander';
import { type InputSize, inputShape, presetConfig, resolveConfig } from '@edet/model';
import { errorText } from '@edet/tensor';

import { MAX_DEFAULT_WASM_THREADS, NODE_BACKENDS, defaultWasmThreads, describeBackend, startBackend, type NodeBackend } from '../backend.js';
import { BUSY_LEAD_IN_MS, runInferBenchmark, runInferBenchmarks, type InferBenchmarkResult, type PeerTimings, type RoundPeer } from '../bench/infer.js';
import { type AbsentPeer, openOnnxPeer } from '../bench/onnx-peer.js';
import { openPytorchPeer, type PytorchPeer, type PytorchPeerOptions } from '../bench/pytorch-peer.js';
import type { OnnxProfile } from '../bench/onnx-profile.js';
import { formatOnnxProfile, formatProfile } from '../bench/profile-report.js';
import { runTrainBenchmark, type TrainBenchmarkResult } from '../bench/train.js';
import { describeRatio, speedRatio } from '../bench/ratio.js';
import { summarizeTimings } from '../bench/statistics.js';
import { BENCH_CLASSES, describeModel, formatSize } from '../bench/subject.js';
import { CliError, oneLineMessage } from '../errors.js';
import type { CommandIo } from '../io.js';
import { MODEL_NAMES_HINT, architectureConfig, chooseArchitecture, collectModelNames } from '../model-names.js';
import { integerParser, parseInputSize } from '../options.js';

/** What `--mode` can name. */
const BENCH_MODES = ['infer', 'train'] as const;

/** The parsed options of `edet bench`. */
export interface BenchOptions {
  mode: (typeof BENCH_MODES)[number];
  /** Models by published name (`--model`, repeatable or comma-separated); several are compared. */
  model?: string[];
  /** EfficientDet variant without `--model` (default 0). */
  coef?: number;
  /** A side or `[height, width]`. */
  size?: InputSize;
  batch: number;
  runs: number;
  warmup: number;
  cpuRuns: number;
  cpuWarmup: number;
  backend?: NodeBackend;
  /** Train mode: worker threads (default: one per core, at most one per image). */
  workers?: number;
  /** Infer mode: also profile the forward pass by class of kernel. */
  profile: boolean;
  /** Infer mode: an ONNX model to time with onnxruntime-node as a peer. */
  onnx?: string;
  /** The onnxruntime-node package folder the peer loads (never a dependency of edet). */
  onnxruntime?: string;
  /** Infer and train modes: a checkout of zylo117's PyTorch EfficientDet, timed by `python` as a peer. */
  pytorch?: string;
  /** The Python that runs the PyTorch peer (default `python3`). */
  python?: string;
  /** Infer mode: wasm threads, and the onnxruntime peer's intra-op threads (default: one per core, at most 8). */
  threads?: number;
  /** Infer mode on wasm: the convolutions multiply-add with relaxed SIMD where the runtime has it. */
  relaxedSimd: boolean;
  json: boolean;
}

/** One benchmark mode: runs with the parsed options and writes its report. */
type BenchRunner = (options: BenchOptions, io: CommandIo) => Promise<void>;

// Each --mode maps to its runner.
const RUNNERS: Record<BenchOptions['mode'], BenchRunner> = {
  infer: benchInference,
  train: benchTraining,
};

/** Adds `edet bench` to the program. */
export function registerBenchCommand(program: Command, io: CommandIo): void {
  program
    .command('bench')
    .description('time the model on each Node backend')
    .addOption(new Option('--mode <mode>', 'what to time: infer (forward pass) or train').choices(BENCH_MODES).default('infer'))
    .option(
      '--model <names>',
      `models by published name, repeatable or comma-separated: ${MODEL_NAMES_HINT}; several are timed interleaved in one run on --backend (default wasm) and compared`,
      collectModelNames,
    )
    .option('--coef <n>', 'EfficientDet variant, 0 for D0, without --model (default 0)', integerParser(0))
    .option('--size <pixels>', "input side (any positive integer) or HEIGHTxWIDTH, e.g. 384x640 (default: the variant's, 512 for D0)", parseInputSize)
    .option('--batch <n>', 'images per forward pass', integerParser(1), 1)
    .option('--runs <n>', 'timed runs', integerParser(1), 10)
    .option('--warmup <n>', 'untimed runs before timing', integerParser(0), 2)
    .option('--cpu-runs <n>', 'timed runs on cpu when comparing backends (cpu is slow)', integerParser(1), 3)
    .option('--cpu-warmup <n>', 'untimed runs on cpu when comparing backends', integerParser(0), 1)
    .addOption(new Option('--backend <name>', 'time one backend (default: every Node backend, compared)').choices(NODE_BACKENDS))
    .option('--workers <n>', 'train mode: worker threads sharing each step, 1 for this thread only (default: one per core, at most one per image)', integerParser(1))
    .option('--profile', 'infer mode: also time each kernel of the forward pass under tf.profile and report the time by class of kernel', false)
    .option('--onnx <file>', 'infer mode: an ONNX model taking one NCHW image at the same size, timed with onnxruntime-node interleaved with edet')
    .option('--onnxruntime <folder>', 'the onnxruntime-node package folder for --onnx, e.g. /tmp/ort/node_modules/onnxruntime-node (not a dependency of edet)')
    .option(
      '--pytorch <folder>',
      'a checkout of zylo117/Yet-Another-EfficientDet-Pytorch: its model (D variants only) is timed by Python with PyTorch in the same rounds as edet, forward passes or training steps (not a dependency of edet; apt-get install python3-torch)',
    )
    .option('--python <command>', 'the Python with PyTorch that runs the --pytorch peer (default python3)')
    .option(
      '--threads <n>',
      `infer mode: wasm threads (above 1, tfjs's threaded build), and the onnxruntime and PyTorch peers' intra-op threads (default: one per core, at most ${MAX_DEFAULT_WASM_THREADS})`,
      integerParser(1),
    )
    .option(
      '--relaxed-simd',
      'infer mode on wasm: convolutions multiply-add with relaxed SIMD where the runtime has it (Node 22+, or Node 20 run with --experimental-wasm-relaxed-simd); the report says whether it ran',
      false,
    )
    .option('--json', 'print the results as JSON', false)
    .action(async (options: BenchOptions) => {
      const models = benchModels(options);
      if (options.relaxedSimd && options.mode !== 'infer') throw new CliError(`--relaxed-simd is an inference path; it does not go with --mode ${options.mode}`);
      if (options.profile && options.mode !== 'infer') throw new CliError(`--profile profiles inference; it does not go with --mode ${options.mode}`);
      if (options.threads !== undefined && options.mode !== 'infer') throw new CliError(`--threads sets the threads of inference; it does not go with --mode ${options.mode} (see --workers)`);
      if (options.python !== undefined && options.pytorch === undefined) throw new CliError('--python runs the --pytorch peer; give --pytorch too');
      if (options.pytorch !== undefined && models.length > 1) throw new CliError('--pytorch compares one model with PyTorch; give one --model');
      if (options.onnx !== undefined || options.onnxruntime !== undefined) {
        if (options.mode !== 'infer') throw new CliError(`--onnx times inference; it does not go with --mode ${options.mode}`);
        if (models.length > 1) throw new CliError('--onnx compares one model with onnxruntime; give one --model');
      }
      if (options.mode === 'infer' && (options.onnx !== undefined || options.onnxruntime !== undefined || options.pytorch !== undefined)) {
        await benchInferenceWithPeers(models[0], options, io);
        return;
      }
      if (models.length > 1) {
        if (options.mode !== 'infer') throw new CliError(`--mode ${options.mode} times one model; give one --model`);
        await benchInferenceOfModels(models, options, io);
        return;
      }
      await RUNNERS[options.mode]({ ...options, coef: models[0].coef }, io);
    });
}

/** One model to time: by name (its config's `coef`), or a D variant. */
interface BenchModel {
  model?: string;
  coef: number;
}

/**
 * The models `--model` / `--coef` ask for: the named ones, else the `--coef` variant (D0 by default).
 * @throws CliError when `--coef` goes with several names, or names another network than the one `--model`
 */
function benchModels(options: BenchOptions): BenchModel[] {
  const names = options.model ?? [];
  if (names.length === 0) return [{ coef: options.coef ?? 0 }];
  if (options.coef !== undefined) {
    if (names.length > 1) throw new CliError(`--coef ${options.coef} goes with one --model, not ${names.length}; name the models alone`);
    chooseArchitecture({ model: names[0], compoundCoef: options.coef });
  }
  return names.map((model) => ({ model, coef: presetConfig(model).compoundCoef }));
}

/**
 * Times several models on one backend (`--backend`, default wasm) in one run, interleaved round by round
 * (see `runInferBenchmarks`), each at its own input size unless `--size` says otherwise, then the ratio of
 * the fastest and the slowest medians.
 */
async function benchInferenceOfModels(models: readonly BenchModel[], options: BenchOptions, io: CommandIo): Promise<void> {
  const backend = await startBackend(options.backend ?? 'wasm', options.threads ?? defaultWasmThreads(), options.relaxedSimd);
  const sized = models.map((model) => ({ ...model, size: options.size }));
  const { results } = await runInferBenchmarks(sized, { batch: options.batch, runs: options.runs, warmup: options.warmup, profile: options.profile });
  const byMedian = [...results].sort((a, b) => a.medianMs - b.medianMs);
  const ratio = speedRatio(byMedian[0], byMedian[byMedian.length - 1], describeModel);
  if (options.json) {
    io.out(`${JSON.stringify({ results: results.map(jsonResult), ratio }, null, 2)}\n`);
    return;
  }
  io.out(`${results.length} models, forward, batch ${options.batch}, on ${describeBackend(backend)}, interleaved: each round runs every model once\n`);
  for (const result of results) {
    const relative = results.length > 2 ? `; ${(result.medianMs / byMedian[0].medianMs).toFixed(2)}x the fastest median` : '';
    io.out(`${describeResult(result, false, `${describeModel(result)} ${formatSize(result.size)}`)}${relative}\n`);
    writeProfile(result, io);
  }
  io.out(`${describeRatio(ratio)} (median latency)\n`);
}

/**
 * Times the forward pass on one backend, or on every Node backend in turn (the same process, a fresh
 * model each) followed by their speed ratio. cpu gets its own, smaller run count when comparing.
 */
async function benchInference(options: BenchOptions, io: CommandIo): Promise<void> {
  const backends: readonly NodeBackend[] = options.backend === undefined ? NODE_BACKENDS : [options.backend];
  const comparing = backends.length > 1;
  const results: InferBenchmarkResult[] = [];
  for (const backend of backends) {
    try {
      await startBackend(backend, options.threads ?? defaultWasmThreads(), options.relaxedSimd);
    } catch (error) {
      if (!comparing) throw error;
      io.err(`edet: skipping ${backend}: ${oneLineMessage(error)}\n`);
      continue;
    }
    const onCpu = comparing && backend === 'cpu';
    const result = await runInferBenchmark({
      model: options.model?.[0],
      coef: options.coef ?? 0,
      size: options.size,
      batch: options.batch,
      runs: onCpu ? options.cpuRuns : options.runs,
      warmup: onCpu ? options.cpuWarmup : options.warmup,
      profile: options.profile,
    });
    results.push(result);
    if (!options.json) {
      if (results.length === 1) io.out(`${describeModel(result)} forward, ${formatSize(result.size)}, batch ${result.batch}\n`);
      io.out(`${describeResult(result, onCpu)}\n`);
      writeProfile(result, io);
    }
  }
  if (results.length === 0) throw new CliError(`no backend could be started (tried ${backends.join(', ')})`);
  const ratio = results.length >= 2 ? speedRatio(results[0], results[1]) : undefined;
  if (options.json) {
    const report = comparing ? { results: results.map(jsonResult), ratio: ratio ?? null } : jsonResult(results[0]);
    io.out(`${JSON.stringify(report, null, 2)}\n`);
  } else if (ratio !== undefined) {
    io.out(`${describeRatio(ratio)} (median latency)\n`);
  }
}

/** The JSON form of one result: the documented summary fields first, then the detail. */
function jsonResult(result: InferBenchmarkResult) {
  const { medianMs, minMs, maxMs, backend, model, coef, size, batch, runs, ...detail } = result;
  return { medianMs, minMs, maxMs, backend, model, coef, size, batch, runs, ...detail };
}

/**
 * `wasm (2 threads): median 120.3 ms (min 118.0, max 131.9) over 10 runs after 2 warm-up; 8.3 images/s, 41.2 GFLOP/s
 * (2.49 G multiply-adds per image); first run 410.2 ms`, the line starting with `label` (default: the backend).
 */
function describeResult(result: InferBenchmarkResult, reducedRuns: boolean, label = describeBackend(result.backend, result.threads, result.relaxedSimd)): string {
  const runs = `${result.runs} run${result.runs === 1 ? '' : 's'}${reducedRuns ? ' (--cpu-runs)' : ''}`;
  const first = result.firstRunMs === undefined ? '' : `; first run ${result.firstRunMs.toFixed(1)} ms`;
  return (
    `${label}: median ${result.medianMs.toFixed(1)} ms (min ${result.minMs.toFixed(1)}, max ${result.maxMs.toFixed(1)})` +
    ` over ${runs} after ${result.warmup} warm-up; ${result.imagesPerSecond.toFixed(2)} images/s,` +
    ` ${result.gflopPerSecond.toFixed(1)} GFLOP/s (${(result.macsPerImage / 1e9).toFixed(3)} G multiply-adds per image)${first}`
  );
}

/** The profile of `result`, when it has one, as indented lines. */
function writeProfile(result: InferBenchmarkResult, io: CommandIo): void {
  if (result.profile !== undefined) io.out(`${formatProfile(result.profile).join('\n')}\n`);
}

/**
 * Times the forward pass on one backend (`--backend`, default wasm) interleaved round by round with its
 * peers on an input of the same size, and reports every median and edet's ratio to each peer: an ONNX model
 * run by onnxruntime-node from `--onnxruntime` (graph optimisations disabled, `--threads` intra-op threads;
 * it takes one image, so with `--batch N` each round runs it N times in a row), and zylo117's model run by
 * PyTorch from a `--pytorch` checkout (the batch in one pass, `--threads` threads). A peer that cannot run
 * (a flag, a file or folder missing, a runtime that does not load, a model that does not take the input) is
 * reported absent with the reason, and edet is timed all the same.
 */
async function benchInferenceWithPeers(model: BenchModel, options: BenchOptions, io: CommandIo): Promise<void> {
  const threads = options.threads ?? defaultWasmThreads();
  const backend = await startBackend(options.backend ?? 'wasm', threads, options.relaxedSimd);
  const size = benchInputSize(model, options);
  const [height, width] = inputShape(size);
  const data = tf.tidy(() => tf.randomNormal([1, 3, height, width], 0, 1, 'float32', 7).dataSync() as Float32Array);
  const wantsOnnx = options.onnx !== undefined || options.onnxruntime !== undefined;
  const onnxPeer = wantsOnnx ? await openOnnxPeer(options.onnx, options.onnxruntime, { threads, runsPerRound: options.batch, data, dims: [1, 3, height, width] }) : undefined;
  const pytorchPeer = options.pytorch === undefined ? undefined : await startPytorchPeer(model, options, { mode: 'infer', size, threads });
  // The peers that started, in the order they run in each round; each one's index into the timings.
  const running: (RoundPeer & { close(): Promise<void> })[] = [];
  const onnxIndex = onnxPeer === undefined || 'absent' in onnxPeer ? -1 : running.push(onnxPeer) - 1;
  const pytorchIndex = pytorchPeer === undefined || 'absent' in pytorchPeer ? -1 : running.push(pytorchPeer) - 1;
  let result: InferBenchmarkResult;
  let timings: PeerTimings[];
  // With --profile, the onnxruntime peer's own profile, or why there is none.
  let onnxProfile: OnnxProfile | AbsentPeer | undefined;
  try {
    const rounds = { batch: options.batch, runs: options.runs, warmup: options.warmup, profile: options.profile };
    const run = await runInferBenchmarks([{ ...model, size }], rounds, running);
    [result] = run.results;
    timings = run.peers;
    if (options.profile && onnxPeer !== undefined && !('absent' in onnxPeer)) {
      const runs = Math.min(options.runs, MAX_ONNX_PROFILE_RUNS);
      onnxProfile = await onnxPeer.profile(runs).catch((error: unknown) => ({ absent: `onnxruntime did not profile: ${errorText(error)}` }));
    }
  } finally {
    for (const peer of running) await peer.close();
  }
  const onnxTimings = onnxIndex < 0 ? undefined : timings[onnxIndex];
  const pytorchTimings = pytorchIndex < 0 ? undefined : timings[pytorchIndex];
  if (options.json) {
    const report: Record<string, unknown> = { edet: jsonResult(result) };
    if (onnxPeer !== undefined) {
      report.onnxruntime =
        'absent' in onnxPeer || onnxTimings === undefined
          ? { absent: 'absent' in onnxPeer ? onnxPeer.absent : 'not timed' }
          : {
              ...onnxTimings,
              file: options.onnx,
              runtime: options.onnxruntime,
              version: onnxPeer.version,
              threads: onnxPeer.threads,
              graphOptimizationLevel: 'disabled',
              sessionRunsPerRound: onnxPeer.runsPerRound,
              imagesPerSecond: (options.batch * 1000) / onnxTimings.medianMs,
              ...(onnxProfile === undefined ? {} : { profile: onnxProfile }),
            };
      Object.assign(report, peerRatios('Onnxruntime', result.timesMs, onnxTimings));
    }
    if (pytorchPeer !== undefined) {
      report.pytorch = jsonPytorchPeer(pytorchPeer, pytorchTimings, options);
      Object.assign(report, peerRatios('Pytorch', result.timesMs, pytorchTimings));
    }
    io.out(`${JSON.stringify(report, null, 2)}\n`);
    return;
  }
  io.out(`${describeModel(result)} forward, ${formatSize(result.size)}, batch ${result.batch}, on ${backend}\n`);
  if (onnxPeer !== undefined && !('absent' in onnxPeer)) {
    const repeated = onnxPeer.runsPerRound > 1 ? `; the model takes one image, so each round runs it ${onnxPeer.runsPerRound} times in a row` : '';
    io.out(
      `interleaved with onnxruntime-node ${onnxPeer.version} on ${onnxPeer.name} (${onnxPeer.threads} intra-op thread${onnxPeer.threads === 1 ? '' : 's'}, graph optimisations disabled; each timed run, edet's or onnxruntime's, after ${BUSY_LEAD_IN_MS} ms of busy waiting)${repeated}\n`,
    );
  }
  if (pytorchPeer !== undefined && !('absent' in pytorchPeer)) io.out(`${describePytorchPeer(pytorchPeer, options)}; the batch in one forward pass\n`);
  io.out(`${describeResult(result, false, `edet ${describeBackend(backend)}`)}\n`);
  if (onnxPeer !== undefined) writePeerTimings('onnxruntime', onnxPeer, onnxTimings, result, io);
  if (pytorchPeer !== undefined) writePeerTimings('PyTorch', pytorchPeer, pytorchTimings, result, io);
  writeProfile(result, io);
  if (onnxProfile !== undefined) io.out('absent' in onnxProfile ? `onnxruntime profile absent: ${onnxProfile.absent}\n` : `${formatOnnxProfile(onnxProfile).join('\n')}\n`);
}

/**
 * The most runs the onnxruntime peer is profiled over: its trace takes 5-8 MB a run of D0 (a record of
 * every node, 8,232 of them), read back as one string, which V8 caps at about 512 MB.
 */
const MAX_ONNX_PROFILE_RUNS = 20;

/** The input size a benchmark of `model` uses: `--size`, else the model's own. */
function benchInputSize(model: BenchModel, options: BenchOptions): InputSize {
  return options.size ?? resolveConfig(architectureConfig(model.model === undefined ? { compoundCoef: model.coef } : { model: model.model })).inputSize;
}

/**
 * Starts the `--pytorch` peer for `model` (zylo117 has the D variants only: a named model gets an absent
 * peer), with `BENCH_CLASSES` classes and edet's busy waiting before each round.
 */
async function startPytorchPeer(
  model: BenchModel,
  options: BenchOptions,
  request: { mode: PytorchPeerOptions['mode']; size: InputSize; threads: number },
): Promise<PytorchPeer | AbsentPeer> {
  if (model.model !== undefined) return { absent: `the PyTorch peer runs zylo117's EfficientDet-D0 to D7x (--coef); --model ${model.model} is not one of them` };
  const [height, width] = inputShape(request.size);
  return openPytorchPeer(options.pytorch, {
    mode: request.mode,
    coef: model.coef,
    height,
    width,
    batch: options.batch,
    numClasses: BENCH_CLASSES,
    threads: request.threads,
    leadInMs: BUSY_LEAD_IN_MS,
    python: options.python,
  });
}

/** `interleaved with zylo117 (PyTorch 1.13.1) from DIR (2 threads; ...)`: how the PyTorch peer ran. */
function describePytorchPeer(peer: PytorchPeer, options: BenchOptions): string {
  const stubbed = peer.stubbed.length > 0 ? `; ${peer.stubbed.join(', ')} stood in for (drawing and post-processing only)` : '';
  return `interleaved with ${peer.name} from ${options.pytorch} (${peer.threads} thread${peer.threads === 1 ? '' : 's'}, after ${BUSY_LEAD_IN_MS} ms of busy waiting, timed in Python${stubbed})`;
}

/** The JSON form of the PyTorch peer: its timings and how it ran, or why it is absent. */
function jsonPytorchPeer(peer: PytorchPeer | AbsentPeer, timings: PeerTimings | undefined, options: BenchOptions) {
  if ('absent' in peer || timings === undefined) return { absent: 'absent' in peer ? peer.absent : 'not timed' };
  const imagesPerSecond = (options.batch * 1000) / timings.medianMs;
  return { ...timings, checkout: options.pytorch, version: peer.version, threads: peer.threads, stubbed: peer.stubbed, imagesPerSecond };
}

/** `edetToX` (ratio of medians) and `edetToXByRound` (median of the rounds' own ratios), null without timings. */
function peerRatios(name: string, edetTimesMs: readonly number[], timings: PeerTimings | undefined): Record<string, number | null> {
  const ratio = timings === undefined ? null : summarizeTimings([...edetTimesMs]).medianMs / timings.medianMs;
  // Each round's own ratio: a machine getting busier or quieter between rounds moves both sides of it alike.
  const byRound = timings === undefined ? null : summarizeTimings(edetTimesMs.map((edetMs, round) => edetMs / timings.timesMs[round])).medianMs;
  return { [`edetTo${name}`]: ratio, [`edetTo${name}ByRound`]: byRound };
}

/** A peer's median and edet's ratio to it, as report lines, or why the peer is absent. */
function writePeerTimings(label: string, peer: object, timings: PeerTimings | undefined, result: { batch: number; runs: number; timesMs: number[] }, io: CommandIo): void {
  if ('absent' in peer || timings === undefined) {
    io.out(`${label} peer absent: ${'absent' in peer ? (peer as AbsentPeer).absent : 'not timed'}\n`);
    return;
  }
  const images = (result.batch * 1000) / timings.medianMs;
  io.out(`${label}: median ${timings.medianMs.toFixed(1)} ms (min ${timings.minMs.toFixed(1)}, max ${timings.maxMs.toFixed(1)}) over the same ${result.runs} rounds; ${images.toFixed(2)} images/s\n`);
  const ratios = peerRatios('', result.timesMs, timings);
  io.out(`edet/${label}: ${(ratios.edetTo ?? Number.NaN).toFixed(2)} (median latency; above 1, edet is slower); median of the rounds' own ratios ${(ratios.edetToByRound ?? Number.NaN).toFixed(2)}\n`);
}

/**
 * Times training steps on one backend (default wasm: a cpu step takes minutes). The peer, in the same
 * process and on the same input, is the inference forward pass: the step is reported as a multiple of it.
 * With `--pytorch`, zylo117's training step under PyTorch (same batch, size, classes, boxes and optimizer,
 * on as many threads as edet's step has workers) runs after each of edet's steps, and edet's ratio to it
 * is reported.
 */
async function benchTraining(options: BenchOptions, io: CommandIo): Promise<void> {
  const backend = options.backend ?? 'wasm';
  await startBackend(backend);
  const workers = options.workers ?? Math.min(availableParallelism(), options.batch);
  const model: BenchModel = { model: options.model?.[0], coef: options.coef ?? 0 };
  const size = benchInputSize(model, options);
  const threads = Math.max(1, Math.min(workers, options.batch));
  const pytorchPeer = options.pytorch === undefined ? undefined : await startPytorchPeer(model, options, { mode: 'train', size, threads });
  let result: TrainBenchmarkResult;
  try {
    const peers = pytorchPeer === undefined || 'absent' in pytorchPeer ? [] : [pytorchPeer];
    result = await runTrainBenchmark({ ...model, size: options.size, batch: options.batch, runs: options.runs, warmup: options.warmup, workers }, peers);
  } finally {
    if (pytorchPeer !== undefined && !('absent' in pytorchPeer)) await pytorchPeer.close();
  }
  const pytorchTimings = result.peers[0];
  const ratio = result.medianMs / result.inferenceForwardMs;
  const parallelSpeedup = result.singleThreadMs === null ? null : result.singleThreadMs / result.medianMs;
  if (options.json) {
    const { medianMs, minMs, maxMs, peers: _peers, ...rest } = result;
    const report: Record<string, unknown> = { medianMs, minMs, maxMs, ...rest, stepToForwardRatio: ratio, parallelSpeedup };
    if (pytorchPeer !== undefined) {
      report.pytorch = jsonPytorchPeer(pytorchPeer, pytorchTimings, options);
      Object.assign(report, peerRatios('Pytorch', result.timesMs, pytorchTimings));
    }
    io.out(`${JSON.stringify(report, null, 2)}\n`);
    return;
  }
  const { forwardMs, backwardMs, updateMs } = result.breakdown;
  io.out(`${describeModel(result)} training step (forward, focal + box loss, backward, AdamW), ${formatSize(result.size)}, batch ${result.batch}\n`);
  if (pytorchPeer !== undefined && !('absent' in pytorchPeer)) io.out(`${describePytorchPeer(pytorchPeer, options)}; the same step: zero_grad, forward, FocalLoss, backward, AdamW\n`);
  const workerText = result.workers > 1 ? `, ${result.workers} worker threads with ${result.microBatch} image${result.microBatch === 1 ? '' : 's'} each` : '';
  io.out(`${result.backend}${workerText}: median ${result.medianMs.toFixed(1)} ms (min ${result.minMs.toFixed(1)}, max ${result.maxMs.toFixed(1)}) over ${result.runs} steps after ${result.warmup} warm-up\n`);
  io.out(`  forward + loss ${forwardMs.toFixed(1)} ms, backward ${backwardMs.toFixed(1)} ms, update ${updateMs.toFixed(1)} ms\n`);
  io.out(`  peer: inference forward ${result.inferenceForwardMs.toFixed(1)} ms; a step costs ${ratio.toFixed(2)}x a forward pass\n`);
  if (result.singleThreadMs !== null && parallelSpeedup !== null) {
    io.out(`  peer: the same step in one thread ${result.singleThreadMs.toFixed(1)} ms; the workers are ${parallelSpeedup.toFixed(2)}x faster\n`);
  }
  if (pytorchPeer !== undefined) writePeerTimings('PyTorch', pytorchPeer, pytorchTimings, { batch: options.batch, runs: result.runs, timesMs: result.timesMs }, io);
}
