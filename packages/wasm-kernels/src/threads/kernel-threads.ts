import { WasmKernelError } from '../errors.js';
import { type SimdKernels, compiled, simdKernels } from '../wasm/simd-module.js';
import { JOB, MAX_ARGS, MAX_CHUNKS, jobWords, runClaimedChunks, takeDivisor } from './claimed-chunks.js';
import { type ThreadInit, threadSource } from './thread-source.js';

/**
 * Threads for edet's own wasm kernels: on a shared memory (tfjs's threaded wasm build), a kernel's work is
 * split into chunks, shrinking as the job runs, that the calling thread and `threads - 1` pool threads claim
 * (`claimed-chunks.ts`). A chunk computes whole
 * outputs of its own, so results are bit-identical whatever the thread count (but for the sign and payload
 * of a NaN that arithmetic makes, which WebAssembly leaves to the engine and V8's tiers differ on). Where
 * the memory is not shared, or no pool is configured, a kernel runs as one call on the calling thread.
 */

/** A started pool thread: only stopping it is needed. */
export interface PoolThread {
  terminate(): void;
}

/**
 * Starts one pool thread that runs `source` (a classic script that also runs as a Node `eval` worker),
 * posts it `init` and passes its messages to `onMessage`. `nodeThreadSpawner` (`@edet/wasm-kernels/node`)
 * makes Node worker threads, `webWorkerSpawner` browser Web Workers.
 */
export type ThreadSpawner = (source: string, init: ThreadInit, onMessage: (message: unknown) => void) => PoolThread;

/** How one kernel call splits: see `claimed-chunks.ts`. */
export interface Split {
  /** Units of work (elements, rows, ...). */
  units: number;
  /**
   * Units per grain, the smallest chunk (chunks are whole grains, larger early in the job): enough work
   * that a claim's cost is small next to it. Results must not depend on it beyond which thread runs what.
   */
  chunkUnits: number;
  /** Bytes each argument advances per unit (0 for arguments that stay), one per argument. */
  advance: number[];
  /** The argument that gets a chunk's unit count. */
  countArg: number;
}

/**
 * The split of an elementwise kernel over `units` elements: chunks of at least `minChunk` elements (a
 * multiple of 4, so only the last chunk has a scalar tail, as one whole call would), at most `MAX_CHUNKS`.
 * @param advance bytes per element of each argument (0 for arguments that stay)
 */
export function elementwiseSplit(units: number, advance: number[], countArg: number, minChunk = 16384): Split {
  const chunkUnits = Math.ceil(Math.max(minChunk, Math.ceil(units / MAX_CHUNKS)) / 4) * 4;
  return { units, chunkUnits, advance, countArg };
}

// Whether this thread may block in Atomics.wait (a browser's main thread may not).
let mayBlock: boolean | undefined;

function blockingAllowed(): boolean {
  if (mayBlock === undefined) {
    try {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
      mayBlock = true;
    } catch {
      mayBlock = false;
    }
  }
  return mayBlock;
}

// How long the owner spins for the last chunks before it sleeps: longer than a grain's time, shorter than
// a sleep and wake-up on a loaded machine.
const SPIN_MS = 0.05;

/** Returns once `grains` grains are done: the last ones may still be running on pool threads. */
function awaitGrains(job: Int32Array, grains: number): void {
  const spinUntil = performance.now() + SPIN_MS;
  let done = Atomics.load(job, JOB.DONE);
  while (done < grains && performance.now() < spinUntil) done = Atomics.load(job, JOB.DONE);
  const block = blockingAllowed();
  while (done < grains) {
    if (block) Atomics.wait(job, JOB.DONE, done);
    done = Atomics.load(job, JOB.DONE);
  }
}

/** A pool on one memory: the job block and the threads that claim its chunks. */
export class KernelThreadPool {
  private readonly job: Int32Array;
  private readonly names: (keyof SimdKernels)[];
  private readonly fns: ((...args: number[]) => unknown)[];
  private readonly started: PoolThread[] = [];
  private readyThreads = 0;
  private readonly whenReady: Promise<void>;

  /**
   * @param memory a shared wasm memory (the wasm backend's)
   * @param threads threads in all, the calling one included (from 1)
   * @param spawn starts the `threads - 1` pool threads
   */
  constructor(
    memory: WebAssembly.Memory,
    readonly threads: number,
    spawn: ThreadSpawner,
  ) {
    const kernels = simdKernels(memory);
    this.names = (Object.keys(kernels) as (keyof SimdKernels)[]).sort();
    // Every name is an export of the instance, so present.
    this.fns = this.names.map((name) => kernels[name] as (...args: number[]) => unknown);
    const buffer = new SharedArrayBuffer(jobWords(threads) * 4);
    this.job = new Int32Array(buffer);
    this.job[JOB.CLAIM] = -1;
    this.job[JOB.TAKE_DIVISOR] = takeDivisor(threads);
    let resolveReady = () => {};
    this.whenReady = new Promise((resolve) => (resolveReady = resolve));
    if (threads === 1) resolveReady();
    const source = threadSource();
    const module = compiled(true);
    for (let thread = 1; thread < threads; thread++) {
      const init: ThreadInit = { module, memory, job: buffer, names: this.names, thread };
      this.started.push(
        spawn(source, init, (message) => {
          if (message === 'ready' && ++this.readyThreads === threads - 1) resolveReady();
        }),
      );
    }
  }

  /** Resolves once every pool thread has its kernels (chunks run before that fall to the others). */
  ready(): Promise<void> {
    return this.whenReady;
  }

  /** Chunks each thread has run so far (index 0 the calling thread). */
  chunksRun(): number[] {
    return Array.from({ length: this.threads }, (_, thread) => Atomics.load(this.job, JOB.CHUNKS_RUN + thread));
  }

  /**
   * Runs `fn(...args)` over `split.units`, chunk by chunk, on this thread and the pool; returns when all
   * chunks are done.
   * @throws WasmKernelError when a chunk traps (the others still finish first)
   */
  run(fn: keyof SimdKernels, args: number[], split: Split): void {
    const { job } = this;
    const grains = Math.ceil(split.units / split.chunkUnits);
    if (args.length > MAX_ARGS || split.advance.length !== args.length || grains > MAX_CHUNKS) {
      throw new WasmKernelError(`kernel threads: ${fn} has ${args.length} arguments and ${grains} chunks of ${split.chunkUnits} units (at most ${MAX_ARGS} and ${MAX_CHUNKS})`);
    }
    if (grains === 0) return;
    const index = this.names.indexOf(fn);
    if (index < 0) throw new WasmKernelError(`kernel threads: ${fn} is not in this runtime's kernels`);
    job[JOB.FN] = index;
    job[JOB.ARG_COUNT] = args.length;
    job[JOB.COUNT_ARG] = split.countArg;
    job[JOB.UNITS] = split.units;
    job[JOB.CHUNK_UNITS] = split.chunkUnits;
    args.forEach((arg, i) => {
      job[JOB.ARGS + i] = arg;
      job[JOB.ADVANCE + i] = split.advance[i];
    });
    job[JOB.DONE] = 0;
    job[JOB.FAILED] = 0;
    Atomics.store(job, JOB.CLAIM, grains);
    Atomics.add(job, JOB.WAKE, 1);
    Atomics.notify(job, JOB.WAKE);
    runClaimedChunks(job, this.fns, 0);
    awaitGrains(job, grains);
    Atomics.store(job, JOB.CLAIM, -1);
    if (job[JOB.FAILED] !== 0) throw new WasmKernelError(`kernel threads: ${fn} trapped`);
  }

  /** Stops the pool threads. */
  terminate(): void {
    for (const thread of this.started) thread.terminate();
    this.started.length = 0;
  }
}

/** Threads configured for edet's kernels, and how to start them. */
let configured: { threads: number; spawn: ThreadSpawner } = { threads: 1, spawn: () => ({ terminate() {} }) };
const pools = new WeakMap<WebAssembly.Memory, KernelThreadPool>();

/**
 * Sets the threads edet's kernels split their work over where the wasm memory is shared; a pool starts on
 * first use. 1 turns splitting off. Pools already started keep their threads.
 */
export function configureKernelThreads(threads: number, spawn: ThreadSpawner): void {
  if (!Number.isInteger(threads) || threads < 1) throw new WasmKernelError(`kernel threads: threads must be a whole number from 1, got ${threads}`);
  configured = { threads, spawn };
}

/** The pool on `memory`, started on first call; undefined where the memory is not shared or threads are 1. */
export function kernelThreadPool(memory: WebAssembly.Memory): KernelThreadPool | undefined {
  let pool = pools.get(memory);
  if (pool === undefined) {
    const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
    if (!shared || configured.threads === 1) return undefined;
    pool = new KernelThreadPool(memory, configured.threads, configured.spawn);
    pools.set(memory, pool);
  }
  return pool;
}

/**
 * Runs `fn(...args)` over `split.units`: split across the pool on `memory` when there is one, else as one
 * call with the count argument set to all units.
 */
export function runSplit(memory: WebAssembly.Memory, fn: keyof SimdKernels, args: number[], split: Split): void {
  const pool = kernelThreadPool(memory);
  if (pool === undefined || split.units <= split.chunkUnits) {
    const whole = [...args];
    whole[split.countArg] = split.units;
    const kernel = simdKernels(memory)[fn];
    if (kernel === undefined) throw new WasmKernelError(`kernel threads: ${fn} is not in this runtime's kernels`);
    if (split.units > 0) kernel(...whole);
    return;
  }
  pool.run(fn, args, split);
}
