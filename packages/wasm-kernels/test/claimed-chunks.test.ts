/**
 * The claim order of a job's chunks, on one thread with a recording function in place of a wasm kernel:
 * the owner (thread 0) takes chunks from the front and a pool thread from the back, so each works along
 * one contiguous run of the outputs; every chunk runs once, with its own start and unit count.
 */
import { describe, expect, it } from 'vitest';

import { JOB, jobWords, runClaimedChunks } from '../src/threads/claimed-chunks.js';

/** An open job of `units` units in chunks of `chunkUnits`: one pointer argument advancing 4 bytes per unit, then the count. */
function openJob(units: number, chunkUnits: number): Int32Array {
  const job = new Int32Array(jobWords(2));
  job[JOB.FN] = 0;
  job[JOB.ARG_COUNT] = 2;
  job[JOB.COUNT_ARG] = 1;
  job[JOB.UNITS] = units;
  job[JOB.CHUNK_UNITS] = chunkUnits;
  job[JOB.ARGS] = 1000;
  job[JOB.ADVANCE] = 4;
  job[JOB.CLAIM] = Math.ceil(units / chunkUnits);
  return job;
}

describe('claimed chunks', () => {
  it('gives the owner the chunks from the front and a pool thread those from the back', () => {
    const job = openJob(10, 3); // chunks of units [0, 3), [3, 6), [6, 9), [9, 10)
    const calls: [number, number, number][] = [];
    const recorder = (thread: number) => (pointer: number, count: number) => void calls.push([thread, pointer, count]);
    // The pool thread claims first; while its chunk runs, the owner takes every chunk left.
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
      [1, 1036, 1],
      [0, 1000, 3],
      [0, 1012, 3],
      [0, 1024, 3],
    ]);
    expect(job[JOB.DONE]).toBe(4);
    expect([job[JOB.CHUNKS_RUN], job[JOB.CHUNKS_RUN + 1]]).toEqual([3, 1]);
  });

  it('runs every chunk once, back to front, on a pool thread alone', () => {
    const job = openJob(7, 2);
    const starts: number[] = [];
    runClaimedChunks(job, [(pointer: number, count: number) => void starts.push((pointer - 1000) / 4, count)], 1);
    expect(starts).toEqual([6, 1, 4, 2, 2, 2, 0, 2]);
    expect(job[JOB.DONE]).toBe(4);
  });

  it('claims nothing from a closed job', () => {
    const job = openJob(8, 2);
    job[JOB.CLAIM] = -1;
    let calls = 0;
    runClaimedChunks(job, [() => void calls++], 0);
    runClaimedChunks(job, [() => void calls++], 1);
    expect(calls).toBe(0);
  });
});
