/**
 * The claim order of a job's chunks, on one thread with a recording function in place of a wasm kernel:
 * the owner (thread 0) takes grains from the front and a pool thread from the back, so each works along
 * one contiguous run of the outputs; a claim takes a share of the grains still unclaimed (at least one), so
 * chunks shrink as the job runs; every unit runs once, in a chunk with its own start and unit count.
 */
import { describe, expect, it } from 'vitest';

import { JOB, jobWords, runClaimedChunks, takeDivisor } from '../src/threads/claimed-chunks.js';

/**
 * An open job of `units` units in grains of `grainUnits`, each claim taking `1 / divisor` of the grains
 * left: one pointer argument advancing 4 bytes per unit, then the count.
 */
function openJob(units: number, grainUnits: number, divisor: number): Int32Array {
  const job = new Int32Array(jobWords(2));
  job[JOB.FN] = 0;
  job[JOB.ARG_COUNT] = 2;
  job[JOB.COUNT_ARG] = 1;
  job[JOB.UNITS] = units;
  job[JOB.CHUNK_UNITS] = grainUnits;
  job[JOB.ARGS] = 1000;
  job[JOB.ADVANCE] = 4;
  job[JOB.TAKE_DIVISOR] = divisor;
  job[JOB.CLAIM] = Math.ceil(units / grainUnits);
  return job;
}

/** `[first unit, units]` of every chunk a lone thread runs, in claim order. */
function chunksOf(job: Int32Array, thread: number): [number, number][] {
  const chunks: [number, number][] = [];
  runClaimedChunks(job, [(pointer: number, count: number) => void chunks.push([(pointer - 1000) / 4, count])], thread);
  return chunks;
}

describe('claimed chunks', () => {
  it('gives the owner the grains from the front and a pool thread those from the back', () => {
    const job = openJob(10, 3, 2); // grains of units [0, 3), [3, 6), [6, 9), [9, 10)
    const calls: [number, number, number][] = [];
    const recorder = (thread: number) => (pointer: number, count: number) => void calls.push([thread, pointer, count]);
    // The pool thread claims first (half of the 4 grains); while its chunk runs, the owner takes the rest.
    let ownerRan = false;
    const poolChunk = (pointer: number, count: number) => {
      recorder(1)(pointer, count);
      if (!ownerRan) {
        ownerRan = true;
        runClaimedChunks(job, [recorder(0)], 0);
      }
    };
    runClaimedChunks(job, [poolChunk], 1);
    expect(calls).toEqual([
      [1, 1024, 4],
      [0, 1000, 3],
      [0, 1012, 3],
    ]);
    expect(job[JOB.DONE]).toBe(4);
    expect([job[JOB.CHUNKS_RUN], job[JOB.CHUNKS_RUN + 1]]).toEqual([2, 1]);
  });

  it('shrinks the chunks as the job runs, down to one grain, and runs every unit once', () => {
    // 20 grains of one unit, a quarter of those left per claim: 5, 3 (of 15), 3 (of 12), 2 (of 9), then ones.
    expect(chunksOf(openJob(20, 1, 4), 1)).toEqual([
      [15, 5], [12, 3], [9, 3], [7, 2], [6, 1], [5, 1], [4, 1], [3, 1], [2, 1], [1, 1], [0, 1],
    ]);
    expect(chunksOf(openJob(20, 1, 4), 0)).toEqual([
      [0, 5], [5, 3], [8, 3], [11, 2], [13, 1], [14, 1], [15, 1], [16, 1], [17, 1], [18, 1], [19, 1],
    ]);
  });

  it('cuts chunks at whole grains, the last grain short', () => {
    const job = openJob(10, 4, 2); // grains [0, 4), [4, 8), [8, 10)
    expect(chunksOf(job, 1)).toEqual([[8, 2], [4, 4], [0, 4]]);
    expect(job[JOB.DONE]).toBe(3);
    // A claim of several grains that ends at the short one.
    expect(chunksOf(openJob(10, 2, 1), 1)).toEqual([[0, 10]]);
  });

  it('takes an eighth of the grains left per claim with two threads', () => {
    expect(takeDivisor(1)).toBe(4);
    expect(takeDivisor(2)).toBe(8);
    const job = openJob(800, 1, takeDivisor(2));
    const first = chunksOf(job, 0)[0];
    expect(first).toEqual([0, 100]);
  });

  it('claims nothing from a closed job', () => {
    const job = openJob(8, 2, 4);
    job[JOB.CLAIM] = -1;
    let calls = 0;
    runClaimedChunks(job, [() => void calls++], 0);
    runClaimedChunks(job, [() => void calls++], 1);
    expect(calls).toBe(0);
  });
});
