// What keeps a run folder whole: its lock, the refusal to write over another run, atomic and flushed
// writes, the removal of temporary files of killed runs, and the limits checked before allocating.
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import * as fsPromises from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';

import { MAX_TRAIN_SIZE, TrainError, checkRunSizes } from '@edet/train';
import {
  LOCK_FILE,
  acquireRunLock,
  claimRunFolder,
  onNextStopSignal,
  processAlive,
  removeTemporaryLeftovers,
  signalExitCode,
  writeFileAtomic,
} from '@edet/train/node';
import { afterEach, describe, expect, it, vi } from 'vitest';

/** A pid no process can have (above Linux's largest pid_max, 2^22). */
const DEAD_PID = 99_999_999;

const folder = () => fsPromises.mkdtemp(join(tmpdir(), 'edet-run-'));

describe('the run lock', () => {
  it('is taken with the pid and host, refused to a second taker, and released once', async () => {
    const out = await folder();
    const lock = acquireRunLock(out);
    const owner = JSON.parse(readFileSync(join(out, LOCK_FILE), 'utf8'));
    expect(owner).toMatchObject({ pid: process.pid, host: hostname() });
    expect(() => acquireRunLock(out)).toThrow(TrainError);
    expect(() => acquireRunLock(out)).toThrow(new RegExp(`is in use by another training run \\(process ${process.pid} on .*choose another --out`));
    lock.release();
    lock.release();
    expect(existsSync(join(out, LOCK_FILE))).toBe(false);
    acquireRunLock(out).release();
  });

  it("takes over the lock of a dead process of this host, saying so; not another host's or an unreadable one", async () => {
    const out = await folder();
    writeFileSync(join(out, LOCK_FILE), JSON.stringify({ pid: DEAD_PID, host: hostname(), since: 'then' }));
    const notices: string[] = [];
    const lock = acquireRunLock(out, (line) => notices.push(line));
    expect(notices).toEqual([expect.stringMatching(new RegExp(`^took over the lock of process ${DEAD_PID}, which is no longer running`))]);
    expect(JSON.parse(readFileSync(join(out, LOCK_FILE), 'utf8')).pid).toBe(process.pid);
    lock.release();
    writeFileSync(join(out, LOCK_FILE), JSON.stringify({ pid: DEAD_PID, host: 'elsewhere', since: 'then' }));
    expect(() => acquireRunLock(out)).toThrow(`process ${DEAD_PID} on elsewhere`);
    writeFileSync(join(out, LOCK_FILE), 'garbage');
    expect(() => acquireRunLock(out)).toThrow(/an unreadable train\.lock\); .*delete .*train\.lock/);
  });

  it('tells live processes from dead ones', () => {
    expect(processAlive(process.pid)).toBe(true);
    expect(processAlive(DEAD_PID)).toBe(false);
    expect(processAlive(0)).toBe(false);
    expect(processAlive(-1)).toBe(false);
  });
});

describe('a folder holding a run', () => {
  it('is refused, naming what it holds and how to continue; --overwrite removes the run files only', async () => {
    const out = await folder();
    await claimRunFolder(out, false);
    await claimRunFolder(join(out, 'missing'), false);
    for (const name of ['checkpoint.json', 'weights.safetensors', 'state-0000003.safetensors', 'log.jsonl', 'notes.txt']) writeFileSync(join(out, name), 'x');
    const refusal = claimRunFolder(out, false, (path) => `<${path}>`);
    await expect(refusal).rejects.toThrow(TrainError);
    await expect(refusal).rejects.toThrow(
      `--out <${out}> already holds a training run (checkpoint.json, log.jsonl, state-0000003.safetensors, weights.safetensors); continue it with --resume <${out}>, choose another --out, or pass --overwrite to replace it`,
    );
    expect(readdirSync(out)).toHaveLength(5);
    await claimRunFolder(out, true);
    expect(readdirSync(out)).toEqual(['notes.txt']);
  });
});

describe('checkpoint files', () => {
  afterEach(() => vi.restoreAllMocks());

  it('are flushed to disk, then renamed, then their folder flushed', async () => {
    const out = await folder();
    const handle = await fsPromises.open(join(out, 'probe'), 'w');
    const prototype = Object.getPrototypeOf(handle) as { sync: () => Promise<void> };
    await handle.close();
    const sync = vi.spyOn(prototype, 'sync');
    await writeFileAtomic(join(out, 'a.json'), '{"a": 1}\n');
    expect(sync).toHaveBeenCalledTimes(2);
    expect(readFileSync(join(out, 'a.json'), 'utf8')).toBe('{"a": 1}\n');
    expect(readdirSync(out).sort()).toEqual(['a.json', 'probe']);
  });

  it('leave nothing when the write fails, and the old contents in place', async () => {
    const out = await folder();
    writeFileSync(join(out, 'a.json'), 'old');
    mkdirSync(join(out, `a.json.tmp-${process.pid}`));
    await expect(writeFileAtomic(join(out, 'a.json'), 'new')).rejects.toThrow();
    expect(readFileSync(join(out, 'a.json'), 'utf8')).toBe('old');
  });

  it("temporary files of dead processes are removed; this process's and live ones' stay", async () => {
    const out = await folder();
    const names = [`weights.safetensors.tmp-${DEAD_PID}`, `checkpoint.json.tmp-${DEAD_PID + 1}`, `log.tmp-${process.pid}`, `state.tmp-${process.ppid}`, 'weights.safetensors'];
    for (const name of names) writeFileSync(join(out, name), 'x');
    expect(await removeTemporaryLeftovers(out)).toEqual([`checkpoint.json.tmp-${DEAD_PID + 1}`, `weights.safetensors.tmp-${DEAD_PID}`]);
    expect(readdirSync(out).sort()).toEqual([`log.tmp-${process.pid}`, `state.tmp-${process.ppid}`, 'weights.safetensors'].sort());
  });
});

describe('sizes checked before allocating', () => {
  const ok = { size: 512, batch: 4, microBatch: 2 };
  const CASES: [Partial<typeof ok>, RegExp][] = [
    [{ size: 4096 }, new RegExp(`^--size 4096: training takes input sizes up to ${MAX_TRAIN_SIZE} .*use --size ${MAX_TRAIN_SIZE} or less$`)],
    [{ size: 8192 }, /^--size 8192: training takes input sizes up to 2048/],
    [{ size: 102400 }, /^--size 102400: training takes input sizes up to 2048/],
    [{ size: 300.5 }, /^--size 300\.5: expected a positive integer side/],
    [{ size: 0 }, /^--size 0: expected a positive integer side/],
    [{ size: NaN }, /^--size NaN: expected a positive integer side/],
    [{ batch: 0 }, /^--batch 0: expected a positive integer/],
    [{ batch: 1.5 }, /^--batch 1\.5: expected a positive integer/],
    [{ microBatch: 0 }, /^--micro-batch 0: expected a positive integer/],
    [{ microBatch: 8 }, /^--micro-batch 8 is larger than --batch 4: .*use --micro-batch 4 or less$/],
    [{ size: 2048, batch: 64, microBatch: 1 }, /^--batch 64 at --size 2048 needs a 3\.0 GiB batch tensor, more than the 1 GiB limit; use --batch 21 or less/],
  ];
  for (const [change, message] of CASES) {
    it(`refuses ${JSON.stringify(change)}`, () => {
      expect(() => checkRunSizes({ ...ok, ...change })).toThrow(TrainError);
      expect(() => checkRunSizes({ ...ok, ...change })).toThrow(message);
    });
  }
  it('accepts the largest size and a micro-batch that does not divide the batch', () => {
    checkRunSizes({ size: MAX_TRAIN_SIZE, batch: 21, microBatch: 1 });
    checkRunSizes({ size: 128, batch: 5, microBatch: 2 });
  });
});

describe('stop signals', () => {
  it('SIGINT, SIGTERM and SIGHUP each reach the handler once, then Node has them back', () => {
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
      const before = process.listenerCount(signal);
      const seen: string[] = [];
      const remove = onNextStopSignal((name) => seen.push(name));
      expect(process.listenerCount(signal)).toBe(before + 1);
      process.emit(signal, signal);
      expect(seen).toEqual([signal]);
      expect(process.listenerCount(signal)).toBe(before);
      remove();
    }
  });

  it('exit with the code of the signal', () => {
    expect([signalExitCode('SIGINT'), signalExitCode('SIGTERM'), signalExitCode('SIGHUP'), signalExitCode(undefined)]).toEqual([130, 143, 129, 130]);
  });
});
