import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import * as tf from '@tensorflow/tfjs-core';
import { type Batch, batchesPerEpoch, type DetectionDataset, epochBatches, type PipelineOptions, prefetch, summarizeIssues } from '@edet/data';
import { displayPath, loadBatch, loadDatasetSplits } from '@edet/data/node';
import { EfficientDet, type NamedVariableOptimizer, type TrainStepOptions, type TrainStepResult, trainStep } from '@edet/model';
import {
  DropConnectRandom,
  GradientWorkers,
  type CheckpointJson,
  type EpochRecord,
  type Schedule,
  type StopReason,
  StopSignal,
  type TrainProgress,
  WeightEma,
  checkFiniteLoss,
  classChangeNotice,
  createOptimizer,
  defaultWarmupSteps,
  interruptHandler,
  learningRateAt,
  loadInitialWeights,
  parallelTrainStep,
  registerTrainingKernels,
} from '@edet/train';
import {
  BEST_WEIGHTS_FILE,
  CHECKPOINT_FILE,
  JsonLinesLog,
  LOG_FILE,
  WEIGHTS_FILE,
  onNextSigint,
  readLog,
  restoreCheckpoint,
  saveCheckpoint,
  spawnWorkerThread,
} from '@edet/train/node';

import { describeDataset } from '../bundled-dataset.js';
import { CliError, oneLineMessage } from '../errors.js';
import { readInputFile } from '../files.js';
import type { CommandIo } from '../io.js';
import { batchTensors } from './batch-tensors.js';
import { PLOT_FILE, plotTrainingLog } from './plot.js';
import { ProgressBar } from './progress.js';
import type { RunConfig } from './run-config.js';
import { type ValidationResult, validate } from './validate.js';

/**
 * Images per pass below which batch norm is warned about: trained on statistics of so few images, the
 * network comes to depend on them, and the running averages used at inference no longer fit some images
 * (seen on BCCD: D0 at 512 in passes of 2 had a validation loss 10x its training-mode loss on the same images).
 */
const SMALL_BATCH_NORM = 4;

/** A run's settings before the dataset is known: the warm-up may still be open (5% of the run by default). */
export type RunConfigInput = Omit<RunConfig, 'warmupSteps'> & { warmupSteps?: number };

/** The three loss numbers of a step. */
export interface StepLosses {
  loss: number;
  classificationLoss: number;
  boxLoss: number;
}

/** What `onStep` sees after each step. */
export interface StepInfo extends StepLosses {
  /** Updates done (this one included). */
  step: number;
  /** 1-based epoch and batch within it. */
  epoch: number;
  batch: number;
  lr: number;
  images: string[];
  /** The Ctrl-C handler of this run (tests call it to simulate the signal). */
  interrupt: () => void;
}

/** One training step as the loop calls it (in this thread, or spread over gradient workers). */
export type StepFunction = (
  model: EfficientDet,
  optimizer: NamedVariableOptimizer,
  x: tf.Tensor4D,
  targets: readonly tf.Tensor2D[],
  options: TrainStepOptions & { microBatch: number },
) => TrainStepResult | Promise<TrainStepResult>;

/** Hooks for tests and tools. */
export interface TrainHooks {
  onStep?: (info: StepInfo) => void;
  /** Replaces the training step (tests inject a failing one). */
  step?: StepFunction;
}

/** What `runTraining` is asked to do. */
export interface TrainRequest {
  /** A fresh run's settings; ignored when resuming. */
  config?: RunConfigInput;
  /** Resume from this checkpoint file (its settings are used). */
  resume?: { file: string; json: CheckpointJson<RunConfig>; epochs?: number };
  /** Folder for checkpoints, log and plot (created). */
  out: string;
  /** Stop when the run has made this many updates in all (a checkpoint is written). */
  maxSteps?: number;
  /**
   * Worker threads that compute a step's passes in parallel (default 1: every pass in this thread). More
   * than the passes of a step (`batch / microBatch`) would idle.
   */
  workers?: number;
  /**
   * With more than one worker, the passes the workers run side by side share batch-norm statistics, so
   * batch norm sees `microBatch * workers` images (default true).
   */
  syncBatchNorm?: boolean;
  /** Validate every this many epochs (and after the last); 0 never. */
  evalEvery: number;
  io: CommandIo;
  /** Redraw the progress bar in place (a terminal). */
  tty: boolean;
  /** Listen for Ctrl-C (default true). */
  handleSignals?: boolean;
  /** Write the loss/mAP plot at the end (default true). */
  plot?: boolean;
  hooks?: TrainHooks;
}

/** How a run ended. */
export interface TrainResult {
  out: string;
  step: number;
  /** Completed epochs. */
  epochs: number;
  stopped: 'complete' | StopReason;
  config: RunConfig;
  /** The checkpoint file written last, if any. */
  checkpoint?: string;
  last?: StepLosses;
  validation?: ValidationResult;
  plot?: string;
  /** Compute seconds of each step of this session, in order. */
  stepSeconds: number[];
}

/**
 * The error to report when a step throws. The wasm backend aborts (`Aborted()`) when its 4 GiB heap is
 * exhausted and cannot be used afterwards: say so and what to change.
 */
function stepFailure(error: unknown, step: number, config: RunConfig, checkpointNote: string): unknown {
  const message = oneLineMessage(error);
  if (!/Aborted\(|out of memory|Cannot enlarge memory|Array buffer allocation failed/i.test(message)) return error;
  return new CliError(
    `step ${step} ran out of memory (${message.slice(0, 60)}): ${config.microBatch} image${config.microBatch === 1 ? '' : 's'} of ` +
      `${config.size}x${config.size} per pass do not fit the backend's heap (wasm: 4 GiB); use a smaller --micro-batch or --size. ${checkpointNote}`,
  );
}

/** The run's settings with the warm-up resolved against the dataset. */
function resolveConfig(input: RunConfigInput, stepsPerEpoch: number): RunConfig {
  return { ...input, warmupSteps: input.warmupSteps ?? defaultWarmupSteps(input.epochs * stepsPerEpoch) };
}

/** Lines describing the data: sizes, classes, and what was fixed in the annotations. */
function describeData(train: DetectionDataset, val: DetectionDataset | undefined): string[] {
  const count = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : noun.endsWith('x') ? 'es' : 's'}`;
  const size = (d: DetectionDataset) => `${count(d.samples.length, 'image')}, ${count(d.samples.reduce((sum, s) => sum + s.boxes.length, 0), 'box')}`;
  const lines = [
    `data: ${describeDataset(train.root)} (${train.format.toUpperCase()}), ${train.split}: ${size(train)}; ` +
      (val ? `${val.split}: ${size(val)}` : 'no validation split'),
    `classes (${train.classNames.length}): ${train.classNames.join(', ')}`,
  ];
  for (const dataset of val ? [train, val] : [train]) {
    for (const line of [...summarizeIssues(dataset.issues), ...dataset.notes]) lines.push(`note: ${dataset.split}: ${line}`);
  }
  return lines;
}

/**
 * Trains (or resumes training) an EfficientDet on a detection dataset: streaming batches, warm-up + cosine
 * learning rate, optional EMA, a checkpoint every epoch (and on Ctrl-C or `maxSteps`), a JSON-lines log,
 * validation loss and mAP, and a plot at the end. The active tfjs backend is used as it is.
 * @throws CliError for a bad dataset, a non-finite loss (naming step and images), a bad checkpoint
 */
export async function runTraining(request: TrainRequest): Promise<TrainResult> {
  const { io } = request;
  const resumed = request.resume;
  const input: RunConfigInput = resumed ? { ...resumed.json.config, epochs: resumed.epochs ?? resumed.json.config.epochs } : request.config!;
  const { train, val } = loadDatasetSplits({ data: input.data, format: input.format, split: input.split, valSplit: input.valSplit });
  if (resumed && train.classNames.join('\n') !== resumed.json.classNames.join('\n')) {
    throw new CliError(`the dataset's classes (${train.classNames.join(', ')}) are not the checkpoint's (${resumed.json.classNames.join(', ')})`);
  }
  if (train.samples.length < input.batch) {
    throw new CliError(`the ${train.split} split has ${train.samples.length} image${train.samples.length === 1 ? '' : 's'}, fewer than --batch ${input.batch}`);
  }
  const stepsPerEpoch = batchesPerEpoch(train.samples.length, input.batch, true);
  const config = resolveConfig(resumed ? { ...input, warmupSteps: resumed.json.config.warmupSteps } : input, stepsPerEpoch);
  const totalSteps = config.epochs * stepsPerEpoch;
  const schedule: Schedule = { baseLr: config.lr, warmupSteps: config.warmupSteps, totalSteps, minLr: 0 };
  const notice = (line: string) => io.err(`edet: ${line}\n`);

  const out = request.out;
  await mkdir(out, { recursive: true }).catch((error: unknown) => {
    throw new CliError(`cannot create the output folder ${displayPath(out)} (${oneLineMessage(error)})`);
  });

  const backend = tf.getBackend();
  const kernels = registerTrainingKernels(backend);
  const model = new EfficientDet({
    compoundCoef: config.coef,
    numClasses: train.classNames.length,
    inputSize: config.size,
    seed: config.seed,
    ...config.model,
  });
  const optimizer = createOptimizer(config.optimizer, config.lr, config.weightDecay);
  let ema: WeightEma | undefined;
  let workers: GradientWorkers | undefined;
  const stop = new StopSignal();
  const progressBar = new ProgressBar(io.err, request.tty, undefined, request.tty ? process.stderr.columns : undefined);
  const interrupt = interruptHandler(stop, (line) => progressBar.message(`edet: ${line}`));
  const removeHandler = request.handleSignals === false ? () => undefined : onNextSigint(interrupt);
  try {
    if (!resumed && config.weights !== null) {
      const loaded = loadInitialWeights(model, await readInputFile(config.weights), config.weights);
      if (loaded.fileClasses !== undefined) notice(classChangeNotice(displayPath(config.weights), loaded.fileClasses, train.classNames.length));
    }
    if (config.ema !== null) ema = new WeightEma(model, config.ema);
    const dropConnect = new DropConnectRandom(model, config.seed);
    let progress: TrainProgress = { epoch: 0, batchInEpoch: 0, step: 0 };
    let bestMap: number | null = null;
    if (resumed) {
      await restoreCheckpoint(resumed.file, resumed.json, { model, optimizer, ema });
      progress = { ...resumed.json.progress };
      bestMap = resumed.json.bestMap;
    }

    for (const line of describeData(train, val)) io.err(`${line}\n`);
    const parameters = model.parameterCount();
    io.err(
      `model: EfficientDet-D${config.coef} ${config.size}x${config.size}, ${(parameters / 1e6).toFixed(2)}M parameters; backend ${backend}` +
        `${kernels.length > 0 ? ` (+${kernels.length} training kernels)` : ''}; ${config.optimizer} lr ${config.lr} (warm-up ${config.warmupSteps}, cosine to ${totalSteps} steps), ` +
        `batch ${config.batch}${config.microBatch < config.batch ? ` in passes of ${config.microBatch}` : ''}, ${stepsPerEpoch} steps/epoch, seed ${config.seed}${ema ? `, EMA ${config.ema}` : ''}${config.augment ? '' : ', no augmentation'}\n`,
    );
    io.err(`out: ${displayPath(out)}${resumed ? ` (resuming at epoch ${progress.epoch + 1}, step ${progress.step})` : ''}\n`);
    const passes = Math.ceil(config.batch / config.microBatch);
    const workerCount = Math.min(request.workers ?? 1, passes);
    const syncBatchNorm = workerCount > 1 && (request.syncBatchNorm ?? true);
    const normImages = Math.min(config.batch, config.microBatch * (syncBatchNorm ? workerCount : 1));
    if (normImages < SMALL_BATCH_NORM && config.batch >= SMALL_BATCH_NORM) {
      notice(
        `note: batch norm sees ${normImages} image${normImages === 1 ? '' : 's'} at a time; with fewer than ${SMALL_BATCH_NORM} its running statistics ` +
          `often fail to carry over to inference. More workers with synchronised batch norm, or a smaller --size that lets --micro-batch ${SMALL_BATCH_NORM} fit, avoid this.`,
      );
    }
    await writeFile(join(out, 'classes.json'), `${JSON.stringify(train.classNames)}\n`);
    const log = new JsonLinesLog(join(out, LOG_FILE));
    const runStart = performance.now();
    const elapsed = () => (performance.now() - runStart) / 1000;
    log.write({ type: 'start', resumed: resumed !== undefined, step: progress.step, time: new Date().toISOString(), config, backend, classNames: train.classNames, stepsPerEpoch, totalSteps });

    let checkpointFile: string | undefined = resumed?.file;
    let checkpointNote = resumed ? `The last checkpoint (step ${progress.step}) in ${displayPath(out)} is intact.` : 'No checkpoint was written yet.';
    const save = async (reason: CheckpointJson['reason']) => {
      const json = await saveCheckpoint(out, {
        model,
        optimizer,
        ema,
        json: {
          reason,
          config,
          classNames: train.classNames,
          categoryIds: train.categoryIds,
          progress,
          rng: { seed: config.seed, epoch: progress.epoch, batchInEpoch: progress.batchInEpoch },
          schedule,
          optimizer: { name: config.optimizer, weightDecay: config.weightDecay },
          bestMap,
        },
      });
      checkpointFile = join(out, CHECKPOINT_FILE);
      checkpointNote = `The last checkpoint (epoch ${progress.epoch}, step ${progress.step}) in ${displayPath(out)} is intact.`;
      return json;
    };

    const pipeline: PipelineOptions = { size: config.size, batchSize: config.batch, seed: config.seed, augment: config.augment, shuffle: true, dropLast: true };
    // One stream over every remaining epoch, so the next epoch's first batches load during validation.
    function* tasks(): Generator<() => Promise<Batch>> {
      for (let epoch = progress.epoch; epoch < config.epochs; epoch++) {
        const plan = epochBatches(train.samples.length, epoch, pipeline);
        const first = epoch === progress.epoch ? progress.batchInEpoch : 0;
        for (let index = first; index < plan.length; index++) yield () => loadBatch(train.samples, plan[index], epoch, index, pipeline);
      }
    }
    const stepLimit = Math.min(totalSteps, request.maxSteps ?? Infinity);
    const sums = { loss: 0, classificationLoss: 0, boxLoss: 0, count: 0 };
    let epochStart = performance.now();
    let last: StepLosses | undefined;
    let validation: ValidationResult | undefined;
    let stopped: TrainResult['stopped'] = 'complete';
    if (workerCount > 1 && request.hooks?.step === undefined) {
      workers = await GradientWorkers.start(model, { count: workerCount, spawn: spawnWorkerThread, dropConnectSeed: config.seed, syncBatchNorm });
      io.err(
        `workers: ${workerCount} threads, ${Math.ceil(passes / workerCount)} pass${passes > workerCount ? 'es' : ''} of ${config.microBatch} each per step` +
          `${syncBatchNorm ? `, batch norm synchronised over ${normImages} images` : ''}\n`,
      );
    }
    const pool = workers;
    const step: StepFunction =
      request.hooks?.step ??
      (pool === undefined
        ? trainStep
        : (stepModel, stepOptimizer, x, targets, options) => parallelTrainStep(pool, stepModel, stepOptimizer, x, targets, { ...options, step: progress.step }));
    const stepTimes: number[] = [];

    if (progress.epoch >= config.epochs) io.err(`edet: the run has finished its ${config.epochs} epochs; pass a larger --epochs to train on\n`);
    else if (progress.step >= stepLimit) stop.request('max-steps');
    progressBar.start();
    let waitStart = performance.now();
    // A stop asked for between steps (Ctrl-C while waiting for a batch) or after one: save, then leave.
    const saveAndStop = async () => {
      progressBar.endLine();
      await save(stop.reason!);
    };
    for await (const batch of stop.requested ? [] : prefetch(tasks(), 3)) {
      if (stop.requested) {
        await saveAndStop();
        break;
      }
      const stepStart = performance.now();
      const waitSeconds = (stepStart - waitStart) / 1000;
      const lr = learningRateAt(schedule, progress.step);
      optimizer.learningRate = lr;
      dropConnect.reseed(progress.step);
      const { x, targets } = batchTensors(batch);
      let losses: StepLosses;
      try {
        losses = await step(model, optimizer, x, targets, {
          channelsLast: true,
          clipGradientNorm: config.clip > 0 ? config.clip : undefined,
          microBatch: config.microBatch,
        });
      } catch (error) {
        throw stepFailure(error, progress.step + 1, config, checkpointNote);
      } finally {
        tf.dispose([x, ...targets]);
      }
      const stepSeconds = (performance.now() - stepStart) / 1000;
      stepTimes.push(stepSeconds);
      const images = batch.samples.map((sample) => sample.name);
      checkFiniteLoss(losses, progress.step + 1, images, checkpointNote);
      ema?.update();
      progress = { epoch: batch.epoch, batchInEpoch: batch.index + 1, step: progress.step + 1 };
      last = { loss: losses.loss, classificationLoss: losses.classificationLoss, boxLoss: losses.boxLoss };
      sums.loss += losses.loss;
      sums.classificationLoss += losses.classificationLoss;
      sums.boxLoss += losses.boxLoss;
      sums.count += 1;
      log.write({ type: 'step', epoch: batch.epoch + 1, step: progress.step, ...last, lr, seconds: stepSeconds, waitSeconds, time: elapsed() });
      progressBar.step({ epoch: batch.epoch + 1, epochs: config.epochs, batch: batch.index + 1, batches: stepsPerEpoch, stepsLeft: stepLimit - progress.step, ...last, lr });
      request.hooks?.onStep?.({ ...last, step: progress.step, epoch: batch.epoch + 1, batch: batch.index + 1, lr, images, interrupt });

      if (batch.index + 1 === stepsPerEpoch) {
        // End of an epoch: validate, log, checkpoint.
        progress = { epoch: batch.epoch + 1, batchInEpoch: 0, step: progress.step };
        const completed = progress.epoch;
        const evaluate = val !== undefined && request.evalEvery > 0 && (completed % request.evalEvery === 0 || completed === config.epochs);
        validation = undefined;
        if (evaluate) {
          progressBar.endLine();
          const run = () => validate(model, val, { size: config.size, batch: config.batch });
          validation = ema ? await ema.withAverage(run) : await run();
          const map = validation.map === undefined ? `mAP unavailable (${validation.mapError})` : `mAP ${validation.map.toFixed(4)}, mAP@.5 ${validation.map50!.toFixed(4)}`;
          io.err(`epoch ${completed}: val loss ${validation.valLoss.toFixed(4)}, ${map}${ema ? ' (EMA weights)' : ''} [${validation.seconds.toFixed(1)} s]\n`);
        }
        const record: EpochRecord = {
          type: 'epoch',
          epoch: completed,
          step: progress.step,
          loss: sums.loss / sums.count,
          classificationLoss: sums.classificationLoss / sums.count,
          boxLoss: sums.boxLoss / sums.count,
          lr,
          seconds: (performance.now() - epochStart) / 1000,
          time: elapsed(),
        };
        if (validation) {
          record.valLoss = validation.valLoss;
          if (validation.map !== undefined) Object.assign(record, { map: validation.map, map50: validation.map50 });
        }
        log.write(record);
        const improved = validation?.map !== undefined && (bestMap === null || validation.map > bestMap);
        if (improved) bestMap = validation!.map!;
        await save('epoch');
        if (improved) await copyFile(join(out, WEIGHTS_FILE), join(out, BEST_WEIGHTS_FILE));
        progressBar.message(
          `epoch ${completed}/${config.epochs} done: loss ${record.loss.toFixed(4)} (cls ${record.classificationLoss.toFixed(4)} box ${record.boxLoss.toFixed(4)}), ` +
            `${record.seconds.toFixed(0)} s; checkpoint saved`,
        );
        Object.assign(sums, { loss: 0, classificationLoss: 0, boxLoss: 0, count: 0 });
        epochStart = performance.now();
        if (progress.step >= stepLimit && progress.epoch < config.epochs) stop.request('max-steps');
        if (stop.requested) break;
      } else {
        if (progress.step >= stepLimit) stop.request('max-steps');
        if (stop.requested) {
          await saveAndStop();
          break;
        }
      }
      waitStart = performance.now();
    }
    if (stop.requested) stopped = stop.reason!;
    progressBar.endLine();

    let plot: string | undefined;
    if (request.plot !== false) {
      try {
        plot = join(out, PLOT_FILE);
        await writeFile(plot, await plotTrainingLog(await readLog(log.path)));
      } catch (error) {
        notice(`could not draw the plot (${oneLineMessage(error)})`);
        plot = undefined;
      }
    }
    return { out, step: progress.step, epochs: progress.epoch, stopped, config, checkpoint: checkpointFile, last, validation, plot, stepSeconds: stepTimes };
  } finally {
    removeHandler();
    await workers?.close();
    ema?.dispose();
    optimizer.dispose();
    model.dispose();
  }
}
