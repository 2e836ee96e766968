import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';

import { errorText } from '@edet/tensor';

import { BUSY_LEAD_IN_MS, keepBusy } from './infer.js';
import { type OnnxProfile, type OnnxTraceEvent, summarizeOnnxTrace } from './onnx-profile.js';

/** The part of onnxruntime-node's module the peer uses. */
export interface OnnxRuntime {
  InferenceSession: {
    create(path: string, options: OnnxSessionOptions): Promise<OnnxSession>;
  };
  Tensor: new (type: 'float32', data: Float32Array, dims: readonly number[]) => unknown;
}

/** The session options the peer sets. */
export interface OnnxSessionOptions {
  intraOpNumThreads: number;
  graphOptimizationLevel: 'disabled';
  /** Only for `OnnxPeer.profile`'s session: write a trace to `<profileFilePrefix>_<date>.json`. */
  enableProfiling?: true;
  profileFilePrefix?: string;
}

/** The part of an onnxruntime `InferenceSession` the peer uses. */
export interface OnnxSession {
  readonly inputNames: readonly string[];
  run(feeds: Record<string, unknown>): Promise<Record<string, unknown>>;
  /** Ends profiling and writes the trace (a profiling session only). */
  endProfiling?(): void;
  release?(): Promise<void>;
}

/** onnxruntime-node as loaded from a folder: the module and its version. */
export interface LoadedOnnxRuntime {
  runtime: OnnxRuntime;
  /** The package's version, `unknown` when its package.json names none. */
  version: string;
  /** The folder it was loaded from. */
  folder: string;
}

/**
 * Loads onnxruntime-node from `folder` (the package's own folder, e.g. `node_modules/onnxruntime-node`), not
 * from edet's dependencies: onnxruntime is a peer to measure against, never a part of edet.
 * @throws Error naming the folder when it holds no loadable onnxruntime-node
 */
export function loadOnnxRuntime(folder: string): LoadedOnnxRuntime {
  const path = resolve(folder);
  const manifest = join(path, 'package.json');
  if (!existsSync(manifest)) throw new Error(`--onnxruntime ${folder}: no package.json there (expected the onnxruntime-node package folder)`);
  const { name, version } = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string; version?: string };
  if (name !== 'onnxruntime-node') throw new Error(`--onnxruntime ${folder}: holds ${name ?? 'an unnamed package'}, expected onnxruntime-node`);
  const runtime = createRequire(import.meta.url)(path) as OnnxRuntime;
  return { runtime, version: version ?? 'unknown', folder: path };
}

/** What the peer runs: the ONNX file, the threads, and one image of input. */
export interface OnnxPeerOptions {
  /** The ONNX model; it takes one image, `[1, 3, height, width]` (NCHW). */
  file: string;
  /** onnxruntime's intra-op threads. */
  threads: number;
  /** Session runs per timed round: the model takes one image, so a batch of N is N runs in a row. */
  runsPerRound: number;
  /** The input, `[1, 3, height, width]` flattened. */
  data: Float32Array;
  dims: readonly [1, 3, number, number];
}

/** A started peer: times one round, and releases its session. */
export interface OnnxPeer {
  /** The ONNX file's name, for reports. */
  name: string;
  threads: number;
  runsPerRound: number;
  /** Milliseconds of one round: `runsPerRound` session runs in a row, outputs on the host. */
  time(): Promise<number>;
  /**
   * `runs` session runs (of one image) under onnxruntime's profiler, summarised by class of operator, in a
   * session of their own opened for it and released after (the timed session never profiles).
   * @throws Error when the runtime writes no profile
   */
  profile(runs: number): Promise<OnnxProfile>;
  close(): Promise<void>;
}

/**
 * Opens a session on `options.file` with graph optimisations disabled (with them, onnxruntime fuses the
 * model's explicit zero padding into its max-pools and changes the outputs) and runs it once, so that a
 * model that does not take this input fails here rather than in a timed round.
 * @throws whatever onnxruntime throws; the session is released
 */
export async function startOnnxPeer(runtime: OnnxRuntime, options: OnnxPeerOptions): Promise<OnnxPeer> {
  const session = await runtime.InferenceSession.create(options.file, sessionOptions(options));
  try {
    const runOnce = runner(runtime, session, options);
    await runOnce();
    return {
      name: basename(options.file),
      threads: options.threads,
      runsPerRound: options.runsPerRound,
      async time() {
        const start = performance.now();
        for (let run = 0; run < options.runsPerRound; run++) await runOnce();
        return performance.now() - start;
      },
      profile: (runs) => profileOnnxModel(runtime, options, runs),
      close: async () => {
        await session.release?.();
      },
    };
  } catch (error) {
    await session.release?.();
    throw error;
  }
}

/** The options of the peer's sessions: graph optimisations disabled (see `startOnnxPeer`). */
function sessionOptions(options: Pick<OnnxPeerOptions, 'threads'>): OnnxSessionOptions {
  return { intraOpNumThreads: options.threads, graphOptimizationLevel: 'disabled' };
}

/**
 * One run of `session` on the peer's image, its outputs freed.
 * @throws Error when the model takes more than one input
 */
function runner(runtime: OnnxRuntime, session: OnnxSession, options: OnnxPeerOptions): () => Promise<void> {
  if (session.inputNames.length !== 1) throw new Error(`${options.file} takes ${session.inputNames.length} inputs, expected one image`);
  const feeds = { [session.inputNames[0]]: new runtime.Tensor('float32', options.data, options.dims) };
  return async () => {
    const outputs = await session.run(feeds);
    // onnxruntime-node returns its outputs in host memory; free them now rather than at the next GC.
    for (const output of Object.values(outputs)) (output as { dispose?: () => void }).dispose?.();
  };
}

/**
 * Opens a session with onnxruntime's profiler on, runs it once untimed and then `runs` times, each after
 * `BUSY_LEAD_IN_MS` of busy waiting as timed runs are, and summarises the trace it writes (in a folder of
 * its own under the system's temporary folder, removed after). The session is released.
 */
async function profileOnnxModel(runtime: OnnxRuntime, options: OnnxPeerOptions, runs: number): Promise<OnnxProfile> {
  const folder = mkdtempSync(join(tmpdir(), 'edet-onnx-profile-'));
  try {
    const session = await runtime.InferenceSession.create(options.file, { ...sessionOptions(options), enableProfiling: true, profileFilePrefix: join(folder, 'onnxruntime') });
    try {
      const runOnce = runner(runtime, session, options);
      await runOnce();
      for (let run = 0; run < runs; run++) {
        keepBusy(BUSY_LEAD_IN_MS);
        await runOnce();
      }
      if (session.endProfiling === undefined) throw new Error('this onnxruntime has no endProfiling');
      session.endProfiling();
    } finally {
      await session.release?.();
    }
    const traces = readdirSync(folder).filter((name) => name.startsWith('onnxruntime') && name.endsWith('.json'));
    if (traces.length !== 1) throw new Error(`onnxruntime wrote ${traces.length} profile files, expected one`);
    const events = JSON.parse(readFileSync(join(folder, traces[0]), 'utf8')) as OnnxTraceEvent[];
    return summarizeOnnxTrace(events, runs);
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

/** Why there is no peer: a sentence for the report. */
export interface AbsentPeer {
  absent: string;
}

/**
 * The peer `--onnx FILE --onnxruntime FOLDER` ask for, or why there is none: a flag not given, a missing
 * file or folder, a runtime that does not load, a model that does not take the input. Never throws:
 * the benchmark of edet goes on without the peer.
 * @param load the loader (`loadOnnxRuntime`; tests pass their own)
 */
export async function openOnnxPeer(
  file: string | undefined,
  folder: string | undefined,
  options: Omit<OnnxPeerOptions, 'file'>,
  load: (folder: string) => Pick<LoadedOnnxRuntime, 'runtime' | 'version'> = loadOnnxRuntime,
): Promise<(OnnxPeer & { version: string }) | AbsentPeer> {
  if (file === undefined) return { absent: 'no --onnx model given' };
  if (folder === undefined) return { absent: 'no --onnxruntime folder given' };
  if (!existsSync(file)) return { absent: `--onnx ${file}: no such file` };
  if (!existsSync(folder)) return { absent: `--onnxruntime ${folder}: no such folder` };
  let loaded: Pick<LoadedOnnxRuntime, 'runtime' | 'version'>;
  try {
    loaded = load(folder);
  } catch (error) {
    return { absent: `onnxruntime-node did not load: ${errorText(error)}` };
  }
  try {
    return { ...(await startOnnxPeer(loaded.runtime, { file, ...options })), version: loaded.version };
  } catch (error) {
    return { absent: `onnxruntime could not run ${file}: ${errorText(error)}` };
  }
}
