// A training run loses nothing: it refuses to write over another run, saves on SIGTERM and SIGHUP as on
// Ctrl-C and every --save-every steps, resumes mid-epoch exactly, keeps its recorded settings on resume,
// repairs a weights file left from a kill between two renames, and checks sizes and images before the
// first step.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { DataError } from '@edet/data';
import { type CheckpointJson, TrainError } from '@edet/train';
import { CHECKPOINT_FILE, type RunConfig, WEIGHTS_FILE, readCheckpointJson } from '@edet/train/node';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';

import { RESUME_RULES, pathShower } from '../src/commands/train.js';
import { createProgram } from '../src/program.js';
import { recordingIo, temporaryFolder, tinyCocoDataset, tinyRunConfig, train } from './train-fixtures.js';
import { runProgram } from './support/run-program.js';

/** A step that computes nothing: for tests of what happens around the steps. */
const STUB = { step: () => ({ loss: 1, classificationLoss: 0.5, boxLoss: 0.5 }) };

const hash = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
const checkpoint = (out: string) => readCheckpointJson<RunConfig>(join(out, CHECKPOINT_FILE));
const resumeFrom = async (out: string) => ({ file: join(out, CHECKPOINT_FILE), json: await checkpoint(out) });

describe('a run folder holding a run', () => {
  it('is refused to a fresh run, unchanged; --overwrite replaces it, and a resume continues it', async () => {
    const data = tinyCocoDataset(2, 0);
    const out = temporaryFolder();
    await train({ config: tinyRunConfig(data), out, maxSteps: 1, hooks: STUB });
    const before = Object.fromEntries(readdirSync(out).map((name) => [name, hash(join(out, name))]));
    const again = train({ config: tinyRunConfig(data), out, maxSteps: 1, hooks: STUB });
    await expect(again).rejects.toThrow(TrainError);
    await expect(again).rejects.toThrow(/already holds a training run \(checkpoint\.json, .*\); continue it with --resume .*, choose another --out, or pass --overwrite/);
    expect(Object.fromEntries(readdirSync(out).map((name) => [name, hash(join(out, name))]))).toEqual(before);

    const replaced = await train({ config: tinyRunConfig(data, { seed: 8 }), out, maxSteps: 1, hooks: STUB, overwrite: true });
    expect(replaced.result.step).toBe(1);
    expect(readFileSync(join(out, 'log.jsonl'), 'utf8').match(/"type":"start"/g)).toHaveLength(1);
    expect((await checkpoint(out)).config.seed).toBe(8);
    const resumed = await train({ resume: await resumeFrom(out), out, maxSteps: 2, hooks: STUB });
    expect(resumed.result.step).toBe(2);
    // The lock is gone after each run, however it ended.
    expect(readdirSync(out)).not.toContain('train.lock');
  });

  it('is refused at the command line, naming --out as given (absolute) and what to do', async () => {
    const data = tinyCocoDataset(2, 0);
    const out = temporaryFolder();
    writeFileSync(join(out, 'log.jsonl'), '{}\n');
    const run = await runProgram(['train', '--data', data, '--size', '128', '--batch', '1', '--out', out]);
    expect(run.error).toBeInstanceOf(TrainError);
    expect((run.error as Error).message).toBe(
      `--out ${out} already holds a training run (log.jsonl); continue it with --resume ${out}, choose another --out, or pass --overwrite to replace it`,
    );
    expect(pathShower(out)(join(out, 'a'))).toBe(join(out, 'a'));
    expect(pathShower('runs/x')(join(process.cwd(), 'runs', 'x'))).toBe(join('runs', 'x'));
  });
});

describe('stopping and resuming', () => {
  it('SIGTERM and SIGHUP save a checkpoint as Ctrl-C does and report the signal', async () => {
    const data = tinyCocoDataset(2, 0);
    for (const signal of ['SIGTERM', 'SIGHUP']) {
      const out = temporaryFolder();
      const { result, io } = await train({
        config: tinyRunConfig(data),
        out,
        handleSignals: true,
        hooks: { ...STUB, onStep: () => void process.emit(signal as NodeJS.Signals, signal as NodeJS.Signals) },
      });
      expect(result).toMatchObject({ stopped: 'interrupt', signal, step: 1, checkpoint: join(out, CHECKPOINT_FILE) });
      expect(io.errors()).toContain(`edet: ${signal} received: saving a checkpoint after this step (a second signal quits without saving)`);
      expect(await checkpoint(out)).toMatchObject({ reason: 'interrupt', progress: { epoch: 0, batchInEpoch: 1, step: 1 } });
      expect(process.listenerCount(signal)).toBe(0);
    }
  });

  it('a run killed mid-epoch after a --save-every checkpoint resumes to the weights of an uninterrupted run', async () => {
    // 2 images, batch 1: 2 steps an epoch; 3 steps cross an epoch boundary.
    const data = tinyCocoDataset(2, 0);
    const config = tinyRunConfig(data, { epochs: 2 });
    const straight = temporaryFolder();
    await train({ config, out: straight, maxSteps: 3 });

    const out = temporaryFolder();
    // Killed (an exception, as far as the run is concerned) after step 2, past the checkpoint of step 1.
    const killed = train({ config, out, saveEvery: 1, hooks: { onStep: (info) => { if (info.step === 2) throw new Error('killed'); } } });
    await expect(killed).rejects.toThrow('killed');
    // Step 2's checkpoint was not written (the kill came first): the last is step 1's, in the middle of epoch 1.
    expect(await checkpoint(out)).toMatchObject({ reason: 'save-every', progress: { epoch: 0, batchInEpoch: 1, step: 1 }, session: { saveEvery: 1 } });
    const resumed = await train({ resume: await resumeFrom(out), out, maxSteps: 3 });
    expect(resumed.steps.map((s) => [s.step, s.epoch, s.batch])).toEqual([[2, 1, 2], [3, 2, 1]]);
    // Compared by hash: a deep comparison of two 15 MB buffers takes minutes.
    expect(hash(join(out, WEIGHTS_FILE))).toBe(hash(join(straight, WEIGHTS_FILE)));
  });

  it('resuming keeps --eval-every and --save-every unless given again', async () => {
    const data = tinyCocoDataset(2, 1);
    const out = temporaryFolder();
    await train({ config: tinyRunConfig(data, { epochs: 3 }), out, maxSteps: 1, evalEvery: 0, saveEvery: 3, hooks: STUB });
    expect((await checkpoint(out)).session).toEqual({ evalEvery: 0, saveEvery: 3 });
    const kept = await train({ resume: await resumeFrom(out), out, maxSteps: 2, evalEvery: undefined, hooks: STUB });
    expect(kept.io.errors()).not.toContain('val loss');
    expect((await checkpoint(out)).session).toEqual({ evalEvery: 0, saveEvery: 3 });
    const changed = await train({ resume: await resumeFrom(out), out, maxSteps: 4, evalEvery: 1, saveEvery: 1, hooks: STUB });
    expect(changed.io.errors()).toContain('val loss');
    expect((await checkpoint(out)).session).toEqual({ evalEvery: 1, saveEvery: 1 });
  });

  it('classifies every option of edet train for a resume, so none is forgotten', () => {
    const program = createProgram(recordingIo());
    const command = program.commands.find((c) => c.name() === 'train') as Command;
    const options = command.options.map((option) => option.attributeName());
    expect(options.filter((name) => RESUME_RULES[name] === undefined)).toEqual([]);
    expect(Object.keys(RESUME_RULES).filter((name) => !options.includes(name))).toEqual([]);
    // What decides the computation is recorded in the checkpoint's config.
    // (`--model` and `--bn-momentum` are recorded in the run's model settings, `config.model`.)
    const recordedAs: Record<string, string> = { bnMomentum: 'model' };
    const recorded = Object.keys(tinyRunConfig('x'));
    for (const name of Object.keys(RESUME_RULES).filter((key) => RESUME_RULES[key] === 'checkpoint')) expect(recorded).toContain(recordedAs[name] ?? name);
  });
});

describe('a checkpoint killed between renames', () => {
  it('weights newer than checkpoint.json are rewritten from the checkpoint on resume; a damaged state file is refused', async () => {
    const data = tinyCocoDataset(2, 0);
    const out = temporaryFolder();
    await train({ config: tinyRunConfig(data, { epochs: 3 }), out, maxSteps: 1 });
    const json = await checkpoint(out);
    const good = readFileSync(join(out, WEIGHTS_FILE));
    const goodHash = hash(join(out, WEIGHTS_FILE));
    // The next checkpoint's weights renamed into place, its checkpoint.json not yet; and its temporary file.
    writeFileSync(join(out, WEIGHTS_FILE), Buffer.concat([good.subarray(0, good.length - 4), Buffer.from([1, 2, 3, 4])]));
    writeFileSync(join(out, `${CHECKPOINT_FILE}.tmp-99999999`), '{');
    const resumed = await train({ resume: { file: join(out, CHECKPOINT_FILE), json }, out, maxSteps: 1 });
    expect(resumed.io.errors()).toContain(`edet: ${WEIGHTS_FILE} was not the checkpoint's (the run was stopped while saving); rewrote it from step 1`);
    expect(resumed.io.errors()).toContain(`edet: removed 1 temporary file of a run that was killed while saving (${CHECKPOINT_FILE}.tmp-99999999)`);
    expect(hash(join(out, WEIGHTS_FILE))).toBe(goodHash);
    expect(existsSync(join(out, `${CHECKPOINT_FILE}.tmp-99999999`))).toBe(false);

    const state = join(out, json.files.state);
    const bytes = readFileSync(state);
    bytes[bytes.length - 1] ^= 0xff;
    writeFileSync(state, bytes);
    const damaged = train({ resume: { file: join(out, CHECKPOINT_FILE), json: json as CheckpointJson<RunConfig> }, out, maxSteps: 2 });
    await expect(damaged).rejects.toThrow(TrainError);
    await expect(damaged).rejects.toThrow(/its state file state-0000001\.safetensors is not the one it was saved with \(SHA-256 differs\)/);
  });
});

describe('checked before the first step', () => {
  it('refuses sizes past the limits at once, naming the option and the limit', async () => {
    for (const size of ['4096', '8192', '102400']) {
      const started = performance.now();
      const run = await runProgram(['train', '--size', size, '--out', temporaryFolder()]);
      expect(run.error).toBeInstanceOf(TrainError);
      expect((run.error as Error).message).toMatch(new RegExp(`^--size ${size}: training takes input sizes up to 2048`));
      expect(performance.now() - started).toBeLessThan(2000);
    }
    const micro = await runProgram(['train', '--batch', '2', '--micro-batch', '4', '--out', temporaryFolder()]);
    expect((micro.error as Error).message).toMatch(/^--micro-batch 4 is larger than --batch 2/);
    const library = train({ config: tinyRunConfig('unused', { size: 4096 }), out: temporaryFolder() });
    await expect(library).rejects.toThrow(/^--size 4096: training takes input sizes up to 2048/);
  });

  it('names a corrupt dataset image before any step, and says when images are left out of each epoch', async () => {
    const data = tinyCocoDataset(3, 1);
    const stepped: number[] = [];
    const counting = { step: () => (stepped.push(1), { loss: 1, classificationLoss: 0.5, boxLoss: 0.5 }) };
    const { io } = await train({ config: tinyRunConfig(data, { batch: 2, microBatch: 2, epochs: 1 }), out: temporaryFolder(), hooks: counting });
    expect(io.errors()).toContain("edet: 1 of the 3 train images is left out of each epoch (not a multiple of --batch 2); each epoch shuffles anew, so different ones are left out");

    const images = readdirSync(join(data, 'images')).sort();
    writeFileSync(join(data, 'images', images[1]), 'not an image');
    writeFileSync(join(data, 'images', images[2]), readFileSync(join(data, 'images', images[0])).subarray(0, 10));
    stepped.length = 0;
    const out = temporaryFolder();
    const run = train({ config: tinyRunConfig(data), out, hooks: counting });
    await expect(run).rejects.toThrow(DataError);
    await expect(run).rejects.toThrow(
      new RegExp(`^2 of 3 images of the "train" split cannot be used \\(.*${images[1]}: not a JPEG or PNG image; .*${images[2]}: truncated JPEG`),
    );
    expect(stepped).toEqual([]);
    expect(readdirSync(out)).toEqual([]);
  });
});
