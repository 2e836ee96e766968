import { availableParallelism } from 'node:os';

import * as tf from '@tensorflow/tfjs-core';
import { Option, type Command } from 'commander';
import { type InputSize, inputShape, presetConfig, resolveConfig } from '@edet/model';

import { MAX_DEFAULT_WASM_THREADS, NODE_BACKENDS, defaultWasmThreads, describeBackend, startBackend, type NodeBackend } from '../backend.js';
import { BUSY_LEAD_IN_MS, runInferBenchmark, runInferBenchmarks, type InferBenchmarkResult, type PeerTimings } from '../bench/infer.js';
import { openOnnxPeer } from '../bench/onnx-peer.js';
import { formatProfile } from '../bench/profile-report.js';
import { runTrainBenchmark } from '../bench/train.js';
import { describeRatio, speedRatio } from '../bench/ratio.js';
import { summarizeTimings } from '../bench/statistics.js';
import { describeModel, formatSize } from '../bench/subject.js';
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
      '--threads <n>',
      `infer mode: wasm threads (above 1, tfjs's threaded build), and the onnxruntime peer's intra-op threads (default: one per core, at most ${MAX_DEFAULT_WASM_THREADS})`,
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
      if (options.onnx !== undefined || options.onnxruntime !== undefined) {
        if (options.mode !== 'infer') throw new CliError(`--onnx times inference; it does not go with --mode ${options.mode}`);
        if (models.length > 1) throw new CliError('--onnx compares one model with onnxruntime; give one --model');
        await benchInferenceWithOnnxPeer(models[0], options, io);
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
 * Times the forward pass on one backend (`--backend`, default wasm) interleaved round by round with an ONNX
 * model run by onnxruntime-node from `--onnxruntime` (graph optimisations disabled, `--threads` intra-op
 * threads), on an input of the same size, and reports both medians and their ratio. The ONNX model takes one
 * image, so with `--batch N` each round runs it N times in a row. Without a usable peer (a flag, the file or
 * the folder missing, a runtime that does not load or a model that does not take the input) the report says
 * so and times edet alone.
 */
async function benchInferenceWithOnnxPeer(model: BenchModel, options: BenchOptions, io: CommandIo): Promise<void> {
  const threads = options.threads ?? defaultWasmThreads();
  const backend = await startBackend(options.backend ?? 'wasm', threads, options.relaxedSimd);
  const size = options.size ?? resolveConfig(architectureConfig(model.model === undefined ? { compoundCoef: model.coef } : { model: model.model })).inputSize;
  const [height, width] = inputShape(size);
  const data = tf.tidy(() => tf.randomNormal([1, 3, height, width], 0, 1, 'float32', 7).dataSync() as Float32Array);
  const peer = await openOnnxPeer(options.onnx, options.onnxruntime, { threads, runsPerRound: options.batch, data, dims: [1, 3, height, width] });
  let result: InferBenchmarkResult;
  let timings: PeerTimings | undefined;
  try {
    const rounds = { batch: options.batch, runs: options.runs, warmup: options.warmup, profile: options.profile };
    const run = await runInferBenchmarks([{ ...model, size }], rounds, 'absent' in peer ? [] : [peer]);
    [result] = run.results;
    timings = run.peers[0];
  } finally {
    if (!('absent' in peer)) await peer.close();
  }
  const ratio = timings === undefined ? null : result.medianMs / timings.medianMs;
  // Each round's own ratio: a machine getting busier or quieter between rounds moves both sides of it alike.
  const roundRatio = timings === undefined ? null : summarizeTimings(result.timesMs.map((edetMs, round) => edetMs / timings.timesMs[round])).medianMs;
  if (options.json) {
    const onnxruntime =
      'absent' in peer || timings === undefined
        ? { absent: 'absent' in peer ? peer.absent : 'not timed' }
        : {
            ...timings,
            file: options.onnx,
            runtime: options.onnxruntime,
            version: peer.version,
            threads: peer.threads,
            graphOptimizationLevel: 'disabled',
            sessionRunsPerRound: peer.runsPerRound,
            imagesPerSecond: (options.batch * 1000) / timings.medianMs,
          };
    io.out(`${JSON.stringify({ edet: jsonResult(result), onnxruntime, edetToOnnxruntime: ratio, edetToOnnxruntimeByRound: roundRatio }, null, 2)}\n`);
    return;
  }
  io.out(`${describeModel(result)} forward, ${formatSize(result.size)}, batch ${result.batch}, on ${backend}\n`);
  if ('absent' in peer || timings === undefined) {
    io.out(`${describeResult(result, false, `edet ${describeBackend(backend)}`)}\n`);
    writeProfile(result, io);
    io.out(`onnxruntime peer absent: ${'absent' in peer ? peer.absent : 'not timed'}\n`);
    return;
  }
  const repeated = peer.runsPerRound > 1 ? `; the model takes one image, so each round runs it ${peer.runsPerRound} times in a row` : '';
  io.out(
    `interleaved with onnxruntime-node ${peer.version} on ${peer.name} (${peer.threads} intra-op thread${peer.threads === 1 ? '' : 's'}, graph optimisations disabled; each timed run, edet's or onnxruntime's, after ${BUSY_LEAD_IN_MS} ms of busy waiting)${repeated}\n`,
  );
  io.out(`${describeResult(result, false, `edet ${describeBackend(backend)}`)}\n`);
  const peerImages = (options.batch * 1000) / timings.medianMs;
  io.out(
    `onnxruntime: median ${timings.medianMs.toFixed(1)} ms (min ${timings.minMs.toFixed(1)}, max ${timings.maxMs.toFixed(1)}) over the same ${result.runs} rounds; ${peerImages.toFixed(2)} images/s\n`,
  );
  io.out(
    `edet/onnxruntime: ${(ratio ?? Number.NaN).toFixed(2)} (median latency; above 1, edet is slower); median of the rounds' own ratios ${(roundRatio ?? Number.NaN).toFixed(2)}\n`,
  );
  writeProfile(result, io);
}

/**
 * Times training steps on one backend (default wasm: a cpu step takes minutes). The peer, in the same
 * process and on the same input, is the inference forward pass: the step is reported as a multiple of it.
 */
async function benchTraining(options: BenchOptions, io: CommandIo): Promise<void> {
  const backend = options.backend ?? 'wasm';
  await startBackend(backend);
  const workers = options.workers ?? Math.min(availableParallelism(), options.batch);
  const result = await runTrainBenchmark({ model: options.model?.[0], coef: options.coef ?? 0, size: options.size, batch: options.batch, runs: options.runs, warmup: options.warmup, workers });
  const ratio = result.medianMs / result.inferenceForwardMs;
  const parallelSpeedup = result.singleThreadMs === null ? null : result.singleThreadMs / result.medianMs;
  if (options.json) {
    const { medianMs, minMs, maxMs, ...rest } = result;
    io.out(`${JSON.stringify({ medianMs, minMs, maxMs, ...rest, stepToForwardRatio: ratio, parallelSpeedup }, null, 2)}\n`);
    return;
  }
  const { forwardMs, backwardMs, updateMs } = result.breakdown;
  io.out(`${describeModel(result)} training step (forward, focal + box loss, backward, AdamW), ${formatSize(result.size)}, batch ${result.batch}\n`);
  const threads = result.workers > 1 ? `, ${result.workers} worker threads with ${result.microBatch} image${result.microBatch === 1 ? '' : 's'} each` : '';
  io.out(`${result.backend}${threads}: median ${result.medianMs.toFixed(1)} ms (min ${result.minMs.toFixed(1)}, max ${result.maxMs.toFixed(1)}) over ${result.runs} steps after ${result.warmup} warm-up\n`);
  io.out(`  forward + loss ${forwardMs.toFixed(1)} ms, backward ${backwardMs.toFixed(1)} ms, update ${updateMs.toFixed(1)} ms\n`);
  io.out(`  peer: inference forward ${result.inferenceForwardMs.toFixed(1)} ms; a step costs ${ratio.toFixed(2)}x a forward pass\n`);
  if (result.singleThreadMs !== null && parallelSpeedup !== null) {
    io.out(`  peer: the same step in one thread ${result.singleThreadMs.toFixed(1)} ms; the workers are ${parallelSpeedup.toFixed(2)}x faster\n`);
  }
}
