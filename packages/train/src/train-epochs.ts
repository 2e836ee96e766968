import * as tf from '@tensorflow/tfjs-core';
import type { Batch } from '@edet/data';
import type { EfficientDet } from '@edet/model';
import type { Optimizer } from '@edet/tensor';

import { batchTensors } from './batch-tensors.js';
import type { DropConnectRandom } from './drop-connect.js';
import type { WeightEma } from './ema.js';
import type { EpochRecord, StepRecord } from './log-records.js';
import { checkFiniteLoss } from './nan-guard.js';
import { type Schedule, learningRateAt } from './schedule.js';
import type { StopReason, StopSignal } from './stop-signal.js';
import type { TrainProgress } from './trainer-checkpoint.js';
import type { ValidationResult } from './validate.js';

/** The three loss numbers of a step. */
export interface StepLosses {
  loss: number;
  classificationLoss: number;
  boxLoss: number;
}

/** Where a run stands; `trainEpochs` advances it, and a checkpoint saves it. */
export interface RunState {
  progress: TrainProgress;
  /** Best validation mAP so far (null without one). */
  bestMap: number | null;
}

/** What the steps of a finished step are reported with. */
export interface StepReport {
  /** The log record. */
  record: StepRecord;
  /** 1-based epoch and batch, the run's epochs and the epoch's batches, steps left before the run stops. */
  epochs: number;
  batch: number;
  batches: number;
  stepsLeft: number;
  /** The names of the batch's images. */
  images: string[];
}

/**
 * The loop over a run's remaining steps and what it needs; everything that touches files, threads or a
 * screen comes in as a function, so the loop runs in Node and in a browser alike.
 */
export interface EpochLoop {
  model: EfficientDet;
  optimizer: Optimizer;
  ema?: WeightEma;
  dropConnect?: DropConnectRandom;
  schedule: Schedule;
  epochs: number;
  stepsPerEpoch: number;
  /** Stop (asking for a checkpoint) once the run has made this many updates. */
  stepLimit: number;
  /** The batches from `state.progress` on, in order (`@edet/data` streams them). */
  batches: AsyncIterable<Batch>;
  stop: StopSignal;
  /** One update on `x` ([batch, height, width, 3], channels last) and `targets`; `step` is the update's 0-based index. Disposes neither. */
  runStep(x: tf.Tensor4D, targets: readonly tf.Tensor2D[], step: number): StepLosses | Promise<StepLosses>;
  /** The error to throw when step number `step` (1-based) threw `error` (e.g. a clearer out-of-memory one). */
  stepFailure(error: unknown, step: number): unknown;
  /** One sentence on what the last checkpoint holds, for the NaN guard's error. */
  checkpointNote(): string;
  /** Seconds since the run (or resumed run) started: the logs' `time`. */
  elapsed(): number;
  /** Whether to validate after finished epoch `epoch` (1-based); default never. */
  validatesAfter?(epoch: number): boolean;
  /** Validates the model as it is (with the EMA weights swapped in when there is an EMA). */
  validate?(): Promise<ValidationResult>;
  /** The validation after epoch `epoch` is done. */
  onValidation?(epoch: number, result: ValidationResult): void;
  /**
   * Save a checkpoint every this many steps within an epoch (epoch ends always save), so that a kill loses
   * at most that many steps; default: only at epoch ends.
   */
  saveEvery?: number;
  /** Saves a checkpoint of `state` (on a stop, or every `saveEvery` steps; epoch ends go through `onEpoch`). */
  save(reason: StopReason | 'save-every'): Promise<void>;
  /** A step is done. */
  onStep?(report: StepReport): void;
  /** An epoch is done (`improved`: its mAP is the best so far); saves its checkpoint. */
  onEpoch(record: EpochRecord, improved: boolean): Promise<void>;
  /** The steps pause (to validate, or to save and stop). */
  onPause?(): void;
}

/** How `trainEpochs` ended. */
export interface EpochsResult {
  stopped: 'complete' | StopReason;
  last?: StepLosses;
  validation?: ValidationResult;
  /** Compute seconds of each step, in order. */
  stepSeconds: number[];
}

/**
 * Runs the remaining steps of a run: for each batch, the scheduled learning rate, drop-connect reseeded for
 * the step, one update, the NaN guard, the EMA; at each epoch's end, validation and the epoch's report; a
 * stop (`loop.stop`, or the step limit) saves and returns after the step in progress. Advances
 * `state.progress` (and `state.bestMap`) as it goes. Leaves no tensors behind.
 * @throws NonFiniteLossError (a `TrainError`) at a non-finite loss, naming the step and its images
 */
export async function trainEpochs(loop: EpochLoop, state: RunState): Promise<EpochsResult> {
  const { model, optimizer, ema, stop, stepsPerEpoch } = loop;
  const sums = { loss: 0, classificationLoss: 0, boxLoss: 0, count: 0 };
  let epochStart = performance.now();
  let last: StepLosses | undefined;
  let validation: ValidationResult | undefined;
  const stepSeconds: number[] = [];
  if (state.progress.epoch < loop.epochs && state.progress.step >= loop.stepLimit) stop.request('max-steps');
  let waitStart = performance.now();
  // A stop asked for between steps (Ctrl-C while waiting for a batch) or after one: save, then leave.
  const saveAndStop = async () => {
    loop.onPause?.();
    await loop.save(stop.reason!);
  };
  for await (const batch of stop.requested ? [] : loop.batches) {
    if (stop.requested) {
      await saveAndStop();
      break;
    }
    const stepStart = performance.now();
    const waitSeconds = (stepStart - waitStart) / 1000;
    const lr = learningRateAt(loop.schedule, state.progress.step);
    optimizer.learningRate = lr;
    loop.dropConnect?.reseed(state.progress.step);
    const { x, targets } = batchTensors(batch);
    let losses: StepLosses;
    try {
      losses = await loop.runStep(x, targets, state.progress.step);
    } catch (error) {
      throw loop.stepFailure(error, state.progress.step + 1);
    } finally {
      tf.dispose([x, ...targets]);
    }
    const seconds = (performance.now() - stepStart) / 1000;
    stepSeconds.push(seconds);
    const images = batch.samples.map((sample) => sample.name);
    checkFiniteLoss(losses, state.progress.step + 1, images, loop.checkpointNote());
    ema?.update();
    state.progress = { epoch: batch.epoch, batchInEpoch: batch.index + 1, step: state.progress.step + 1 };
    last = { loss: losses.loss, classificationLoss: losses.classificationLoss, boxLoss: losses.boxLoss };
    sums.loss += losses.loss;
    sums.classificationLoss += losses.classificationLoss;
    sums.boxLoss += losses.boxLoss;
    sums.count += 1;
    loop.onStep?.({
      record: { type: 'step', epoch: batch.epoch + 1, step: state.progress.step, ...last, lr, seconds, waitSeconds, time: loop.elapsed() },
      epochs: loop.epochs,
      batch: batch.index + 1,
      batches: stepsPerEpoch,
      stepsLeft: loop.stepLimit - state.progress.step,
      images,
    });

    if (batch.index + 1 === stepsPerEpoch) {
      // End of an epoch: validate, report, checkpoint.
      state.progress = { epoch: batch.epoch + 1, batchInEpoch: 0, step: state.progress.step };
      const completed = state.progress.epoch;
      validation = undefined;
      if (loop.validate && loop.validatesAfter?.(completed)) {
        loop.onPause?.();
        const evaluate = loop.validate.bind(loop);
        validation = ema ? await ema.withAverage(evaluate) : await evaluate();
        loop.onValidation?.(completed, validation);
      }
      const record: EpochRecord = {
        type: 'epoch',
        epoch: completed,
        step: state.progress.step,
        loss: sums.loss / sums.count,
        classificationLoss: sums.classificationLoss / sums.count,
        boxLoss: sums.boxLoss / sums.count,
        lr,
        seconds: (performance.now() - epochStart) / 1000,
        time: loop.elapsed(),
      };
      if (validation) {
        record.valLoss = validation.valLoss;
        if (validation.map !== undefined) Object.assign(record, { map: validation.map, map50: validation.map50 });
      }
      const improved = validation?.map !== undefined && (state.bestMap === null || validation.map > state.bestMap);
      if (improved) state.bestMap = validation!.map!;
      await loop.onEpoch(record, improved);
      Object.assign(sums, { loss: 0, classificationLoss: 0, boxLoss: 0, count: 0 });
      epochStart = performance.now();
      if (state.progress.step >= loop.stepLimit && state.progress.epoch < loop.epochs) stop.request('max-steps');
      if (stop.requested) break;
    } else {
      if (state.progress.step >= loop.stepLimit) stop.request('max-steps');
      if (stop.requested) {
        await saveAndStop();
        break;
      }
      if (loop.saveEvery !== undefined && loop.saveEvery > 0 && state.progress.step % loop.saveEvery === 0) await loop.save('save-every');
    }
    waitStart = performance.now();
  }
  return { stopped: stop.requested ? stop.reason! : 'complete', last, validation, stepSeconds };
}
