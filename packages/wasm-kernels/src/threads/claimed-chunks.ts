/**
 * The job a kernel thread pool shares: one wasm function run over `units` units of work in chunks of
 * `chunkUnits`, each chunk a call `fn(...args)` with every pointer argument advanced to the chunk's first
 * unit and the count argument set to the chunk's units. Chunks are claimed, so whichever thread is free
 * takes the next one, and a chunk's result does not depend on which thread ran it.
 *
 * The job lives in a shared `Int32Array` (`JOB_WORDS` words):
 * - `WAKE`: bumped for every job, the word idle threads wait on;
 * - `CLAIM`: `-1` between jobs; during one `(front << 16) | back`, the unclaimed chunks `[front, back)`.
 *   The owner takes chunk `front` and the pool threads chunk `back - 1`, each by compare-exchange from
 *   that exact value, so the claim alone says that the job is open and that the chunk is its own; the
 *   job's words are read only after it, when they cannot change (the owner writes the next job only once
 *   every chunk is done). Claiming from both ends keeps each thread on one contiguous run of the outputs,
 *   about the same run from one kernel to the next: a kernel then mostly reads what its own thread wrote
 *   before, from its own core's cache, instead of lines another core holds;
 * - `DONE`: chunks finished (the thread finishing the last one notifies it); `FAILED`: set when a chunk threw (a wasm trap), so the owner can throw;
 * - `FN`, `ARG_COUNT`, `COUNT_ARG`, `UNITS`, `CHUNK_UNITS`, then `MAX_ARGS` argument words and as many
 *   words of bytes advanced per unit (0 for arguments that stay);
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
  CHUNKS_RUN: 57,
} as const;

/** Arguments one job's function may take. */
export const MAX_ARGS = 24;

/** Chunks one job may have (the claim word keeps the chunk index in 16 bits). */
export const MAX_CHUNKS = 0x7fff;

/** Words of a job block for `threads` threads (owner included). */
export function jobWords(threads: number): number {
  return JOB.CHUNKS_RUN + threads;
}

/**
 * Claims and runs chunks of the open job until none is left. The same function runs on the owner and, as
 * source text, in every pool thread, so it uses nothing but its arguments and the language's globals
 * (the offsets are literals; `JOB` above names them).
 * @param job the shared job block
 * @param fns the wasm functions by index (the job's `FN` word)
 * @param thread this thread's index (0 the owner), for its `CHUNKS_RUN` counter
 */
export function runClaimedChunks(job: Int32Array, fns: ((...args: number[]) => unknown)[], thread: number): void {
  for (;;) {
    const claim = Atomics.load(job, 1);
    const back = claim & 0xffff;
    if (claim < 0 || claim >>> 16 >= back) return;
    if (Atomics.compareExchange(job, 1, claim, thread === 0 ? claim + 0x10000 : claim - 1) !== claim) continue;
    const chunk = thread === 0 ? claim >>> 16 : back - 1;
    const units = job[7];
    const chunkUnits = job[8];
    const start = chunk * chunkUnits;
    const args: number[] = [];
    for (let i = 0; i < job[5]; i++) args.push((job[9 + i] + job[33 + i] * start) | 0);
    args[job[6]] = Math.min(chunkUnits, units - start);
    try {
      fns[job[4]](...args);
    } catch {
      Atomics.store(job, 3, 1);
    }
    Atomics.add(job, 57 + thread, 1);
    // The last chunk done wakes the owner, if it sleeps.
    if (Atomics.add(job, 2, 1) + 1 === Math.ceil(units / chunkUnits)) Atomics.notify(job, 2);
  }
}
