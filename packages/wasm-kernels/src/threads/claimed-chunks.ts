/**
 * The job a kernel thread pool shares: one wasm function run over `units` units of work, split into chunks
 * that threads claim as they come free, each chunk a call `fn(...args)` with every pointer argument advanced
 * to the chunk's first unit and the count argument set to the chunk's units. A chunk computes whole outputs,
 * so its result does not depend on which thread ran it or on where the chunks were cut.
 *
 * Chunks are whole numbers of grains (`CHUNK_UNITS` units each; the last grain may be short) and shrink as
 * the job runs (guided scheduling): a claim takes `1 / TAKE_DIVISOR` of the grains still unclaimed, at least
 * one. Early chunks are large, so a job costs few claims (each a JavaScript call into wasm); the last ones
 * are a grain, so the owner, done with its own, waits at most about a grain's time for a pool thread to
 * finish (with equal chunks it waited half a chunk on average, kernel after kernel).
 *
 * The job lives in a shared `Int32Array` (`jobWords(threads)` words):
 * - `WAKE`: bumped for every job, the word idle threads wait on;
 * - `CLAIM`: `-1` between jobs; during one `(front << 16) | back`, the unclaimed grains `[front, back)`.
 *   The owner takes grains from the front and the pool threads from the back, each by compare-exchange from
 *   that exact value, so the claim alone says that the job is open and that the grains are its own; the
 *   job's words are read only after it, when they cannot change (the owner writes the next job only once
 *   every grain is done). Claiming from both ends keeps each thread on one contiguous run of the outputs,
 *   about the same run from one kernel to the next: a kernel then mostly reads what its own thread wrote
 *   before, from its own core's cache, instead of lines another core holds;
 * - `DONE`: grains finished (the thread finishing the last one notifies it); `FAILED`: set when a chunk
 *   threw (a wasm trap), so the owner can throw;
 * - `FN`, `ARG_COUNT`, `COUNT_ARG`, `UNITS`, `CHUNK_UNITS`, then `MAX_ARGS` argument words and as many
 *   words of bytes advanced per unit (0 for arguments that stay);
 * - `TAKE_DIVISOR`: set once by the pool (`takeDivisor`);
 * - from `CHUNKS_RUN`, a counter per thread of the chunks it ran (0 is the owner).
 */
export const JOB = {
  WAKE: 0,
  CLAIM: 1,
  DONE: 2,
  FAILED: 3,
  FN: 4,
  ARG_COUNT: 5,
  COUNT_ARG: 6,
  UNITS: 7,
  CHUNK_UNITS: 8,
  ARGS: 9,
  ADVANCE: 33,
  TAKE_DIVISOR: 57,
  CHUNKS_RUN: 58,
} as const;

/** Arguments one job's function may take. */
export const MAX_ARGS = 24;

/** Grains one job may have (the claim word keeps a grain index in 16 bits). */
export const MAX_CHUNKS = 0x7fff;

/** Words of a job block for `threads` threads (owner included). */
export function jobWords(threads: number): number {
  return JOB.CHUNKS_RUN + threads;
}

/**
 * The share of the unclaimed grains a claim takes, as a divisor, for `threads` threads: `4 * threads`, so
 * that the threads' first chunks together hold about a quarter of the job's work. Larger first chunks would
 * save claims but leave more work in one chunk, which a thread the machine descheduled holds up.
 */
export function takeDivisor(threads: number): number {
  return 4 * threads;
}

/**
 * Claims and runs chunks of the open job until no grain is left. The same function runs on the owner and,
 * as source text, in every pool thread, so it uses nothing but its arguments and the language's globals
 * (the offsets are literals; `JOB` above names them).
 * @param job the shared job block
 * @param fns the wasm functions by index (the job's `FN` word)
 * @param thread this thread's index (0 the owner), for its `CHUNKS_RUN` counter
 */
export function runClaimedChunks(job: Int32Array, fns: ((...args: number[]) => unknown)[], thread: number): void {
  for (;;) {
    const claim = Atomics.load(job, 1);
    const front = claim >>> 16;
    const back = claim & 0xffff;
    if (claim < 0 || front >= back) return;
    const grains = Math.max(1, Math.floor((back - front) / job[57]));
    if (Atomics.compareExchange(job, 1, claim, thread === 0 ? claim + grains * 0x10000 : claim - grains) !== claim) continue;
    const units = job[7];
    const grainUnits = job[8];
    const start = (thread === 0 ? front : back - grains) * grainUnits;
    const args: number[] = [];
    for (let i = 0; i < job[5]; i++) args.push((job[9 + i] + job[33 + i] * start) | 0);
    args[job[6]] = Math.min(grains * grainUnits, units - start);
    try {
      fns[job[4]](...args);
    } catch {
      Atomics.store(job, 3, 1);
    }
    Atomics.add(job, 58 + thread, 1);
    // The last grains done wake the owner, if it sleeps.
    if (Atomics.add(job, 2, grains) + grains === Math.ceil(units / grainUnits)) Atomics.notify(job, 2);
  }
}
