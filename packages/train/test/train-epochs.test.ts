// The epoch loop alone, with a stub step: what it reports, when it validates, saves and stops. Node-free, so
// it runs in browser mode too.
import * as tf from '@tensorflow/tfjs-core';
import type { Batch } from '@edet/data';
import type { EfficientDet } from '@edet/model';
import { AdamW } from '@edet/tensor';
import { type EpochLoop, type EpochRecord, type RunState, StopSignal, TrainError, trainEpochs } from '@edet/train';
import { describe, expect, it } from 'vitest';

const STEPS_PER_EPOCH = 3;

/** Batch `index` of `epoch`: one 2x2 image named after its place. */
function batch(epoch: number, index: number): Batch {
  const sample = { file: 'memory', name: `e${epoch}b${index}`, width: 2, height: 2, boxes: [], imageId: index };
  const placement = { size: 2, width: 2, height: 2, resizedWidth: 2, resizedHeight: 2, offsetX: 0, offsetY: 0, flip: false };
  return { epoch, index, samples: [sample], pixels: new Float32Array(12), size: 2, boxes: [[[0, 0, 1, 1, 0]]], placements: [placement] };
}

async function* batches(from: number, epochs: number): AsyncGenerator<Batch> {
  for (let step = from; step < epochs * STEPS_PER_EPOCH; step++) yield batch(Math.floor(step / STEPS_PER_EPOCH), step % STEPS_PER_EPOCH);
}

/** A loop over `epochs` epochs whose step returns `loss(step)`, recording what it is told. */
function stubLoop(epochs: number, options: { stepLimit?: number; loss?: (step: number) => number; from?: number } = {}) {
  const seen = { steps: [] as number[], rates: [] as number[], epochs: [] as EpochRecord[], saves: [] as string[], validations: [] as number[], pauses: 0 };
  const optimizer = new AdamW({ learningRate: 1 });
  const loop: EpochLoop = {
    model: {} as EfficientDet,
    optimizer,
    schedule: { baseLr: 1, warmupSteps: 0, totalSteps: epochs * STEPS_PER_EPOCH, minLr: 0 },
    epochs,
    stepsPerEpoch: STEPS_PER_EPOCH,
    stepLimit: options.stepLimit ?? epochs * STEPS_PER_EPOCH,
    batches: batches(options.from ?? 0, epochs),
    stop: new StopSignal(),
    runStep: (_x, _targets, step) => {
      seen.steps.push(step);
      seen.rates.push(optimizer.learningRate);
      const loss = options.loss?.(step) ?? 1;
      return { loss, classificationLoss: loss / 2, boxLoss: loss / 2 };
    },
    stepFailure: (error) => error,
    checkpointNote: () => 'No checkpoint was written yet.',
    elapsed: () => 0,
    validatesAfter: (epoch) => epoch % 2 === 0,
    validate: async () => ({ valLoss: 0.5, map: 0.25, map50: 0.5, seconds: 0 }),
    onValidation: (epoch) => seen.validations.push(epoch),
    save: async (reason) => void seen.saves.push(reason),
    onEpoch: async (record) => {
      seen.epochs.push(record);
      seen.saves.push('epoch');
    },
    onPause: () => void (seen.pauses += 1),
  };
  return { loop, seen, optimizer };
}

describe('trainEpochs', () => {
  it('steps through every epoch on the schedule, validating and saving at epoch ends', async () => {
    const { loop, seen, optimizer } = stubLoop(2, { loss: (step) => step });
    const state: RunState = { progress: { epoch: 0, batchInEpoch: 0, step: 0 }, bestMap: null };
    const start = tf.memory().numTensors;
    const result = await trainEpochs(loop, state);
    expect(tf.memory().numTensors).toBe(start);
    expect(result.stopped).toBe('complete');
    expect(seen.steps).toEqual([0, 1, 2, 3, 4, 5]);
    expect(seen.rates[0]).toBe(1);
    expect(seen.rates[5]).toBeLessThan(seen.rates[1]);
    expect(seen.epochs.map((r) => [r.epoch, r.step, r.loss])).toEqual([
      [1, 3, 1],
      [2, 6, 4],
    ]);
    expect(seen.validations).toEqual([2]);
    expect(seen.epochs[1]).toMatchObject({ valLoss: 0.5, map: 0.25, map50: 0.5 });
    expect(state).toEqual({ progress: { epoch: 2, batchInEpoch: 0, step: 6 }, bestMap: 0.25 });
    expect(result.last).toEqual({ loss: 5, classificationLoss: 2.5, boxLoss: 2.5 });
    expect(result.stepSeconds).toHaveLength(6);
    optimizer.dispose();
  });

  it('stops at the step limit with a checkpoint, and resumes where it stopped', async () => {
    const first = stubLoop(2, { stepLimit: 2 });
    const state: RunState = { progress: { epoch: 0, batchInEpoch: 0, step: 0 }, bestMap: null };
    expect((await trainEpochs(first.loop, state)).stopped).toBe('max-steps');
    expect(first.seen.saves).toEqual(['max-steps']);
    expect(state.progress).toEqual({ epoch: 0, batchInEpoch: 2, step: 2 });
    const second = stubLoop(2, { from: 2 });
    expect((await trainEpochs(second.loop, state)).stopped).toBe('complete');
    expect(second.seen.steps).toEqual([2, 3, 4, 5]);
    first.optimizer.dispose();
    second.optimizer.dispose();
  });

  it('stops at a non-finite loss naming the step and its images, without saving', async () => {
    const { loop, seen, optimizer } = stubLoop(1, { loss: (step) => (step === 1 ? NaN : 1) });
    const state: RunState = { progress: { epoch: 0, batchInEpoch: 0, step: 0 }, bestMap: null };
    const run = trainEpochs(loop, state);
    await expect(run).rejects.toThrow(TrainError);
    await expect(run).rejects.toThrow(/^loss became NaN at step 2 \(batch: e0b1\); stopped without saving\. No checkpoint was written yet\./);
    expect(seen.saves).toEqual([]);
    optimizer.dispose();
  });

  it('a stop asked for during a step saves after it and returns', async () => {
    const { loop, seen, optimizer } = stubLoop(1);
    const runStep = loop.runStep;
    loop.runStep = (x, targets, step) => {
      if (step === 0) loop.stop.request('interrupt');
      return runStep(x, targets, step);
    };
    const state: RunState = { progress: { epoch: 0, batchInEpoch: 0, step: 0 }, bestMap: null };
    expect((await trainEpochs(loop, state)).stopped).toBe('interrupt');
    expect(seen.steps).toEqual([0]);
    expect(seen.saves).toEqual(['interrupt']);
    expect(seen.pauses).toBe(1);
    optimizer.dispose();
  });
});
