import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';

import type * as tf from '@tensorflow/tfjs-core';
import { getBackend } from '@tensorflow/tfjs-core';
import { type Batch, batchesPerEpoch, type DetectionDataset, epochBatches, type PipelineOptions, prefetch } from '@edet/data';
import { displayPath, loadBatch, loadDatasetSplits, streamEpoch } from '@edet/data/node';
import { EfficientDet, inputShape, type NamedVariableOptimizer, type TrainStepOptions, type TrainStepResult, trainStep } from '@edet/model';

import { DropConnectRandom } from '../drop-connect.js';
import { WeightEma } from '../ema.js';
import { errorText } from '@edet/tensor';
import { TrainError } from '../errors.js';
import { classChangeNotice, loadInitialWeights } from '../initial-weights.js';
import type { EpochRecord } from '../log-records.js';
import { createOptimizer } from '../optimizer.js';
import { GradientWorkers } from '../parallel/gradient-workers.js';
import { parallelTrainStep } from '../parallel/parallel-step.js';
import { type Schedule, defaultWarmupSteps } from '../schedule.js';
import { type StopReason, StopSignal, interruptHandler } from '../stop-signal.js';
import type { CheckpointJson, TrainProgress } from '../trainer-checkpoint.js';
import { type RunState, type StepLosses, trainEpochs } from '../train-epochs.js';
import { type ValidationResult, validate, validationPipeline } from '../validate.js';
import { checkRunSizes } from '../run-limits.js';
import { writeFileAtomic } from './atomic-write.js';
import { BEST_WEIGHTS_FILE, CHECKPOINT_FILE, WEIGHTS_FILE, checkWeightsFile, restoreCheckpoint, rewriteWeightsFile, saveCheckpoint } from './checkpoint-files.js';
import { checkDatasetImages } from './dataset-preflight.js';
import { claimRunFolder } from './existing-run.js';
import { onNextStopSignal } from './interrupt.js';
import { acquireRunLock } from './run-lock.js';
import { removeTemporaryLeftovers } from './temporary-leftovers.js';
import { JsonLinesLog, LOG_FILE } from './json-lines-log.js';
import type { RunConfig } from './run-config.js';
import { spawnWorkerThread } from './worker-threads.js';

/**
 * Images per pass below which batch norm is warned about: trained on statistics of so few images, the
 * network comes to depend on them, and the running averages used at inference no longer fit some images
 * (seen on BCCD: D0 at 512 in passes of 2 had a validation loss 10x its training-mode loss on the same images).
 */
const SMALL_BATCH_NORM = 4;

/** A run's settings before the dataset is known: the warm-up may still be open (5% of the run by default). */
export type RunConfigInput = Omit<RunConfig, 'warmupSteps'> & { warmupSteps?: number };

/** What `hooks.onStep` sees after each step. */
export interface StepInfo extends StepLosses {
  /** Updates done (this one included). */
  step: number;
  /** 1-based epoch and batch within it. */
  epoch: number;
  batch: number;
  lr: number;
  images: string[];
  /** The stop-signal handler of this run (tests call it to simulate a signal: none for Ctrl-C, or its name). */
  interrupt: (signal?: string) => void;
}

/** One training step as the loop calls it (in this thread, or spread over gradient workers). */
export type StepFunction = (
  model: EfficientDet,
  optimizer: NamedVariableOptimizer,
  x: tf.Tensor4D,
  targets: readonly tf.Tensor2D[],
  options: TrainStepOptions & { microBatch: number; step: number },
) => TrainStepResult | Promise<TrainStepResult>;

/** Hooks for tests and tools. */
export interface TrainHooks {
  onStep?: (info: StepInfo) => void;
  /** Replaces the training step (tests inject a failing one). */
  step?: StepFunction;
}

/** What a run reports while it trains, for a command line or a page to show; `trainOnDataset` writes no output itself. */
export interface TrainEvents {
  /** The training (and validation) splits are loaded. */
  onData?(train: DetectionDataset, val: DetectionDataset | undefined): void;
  /** The model, optimizer and schedule are ready; `resumedAt` is where a resumed run continues. */
  onStart?(info: RunStartInfo): void;
  /** The gradient workers are started. */
  onWorkers?(info: { count: number; passes: number; microBatch: number; syncBatchNorm: boolean; normImages: number }): void;
  /** Something the person running should know (one line, no prefix). */
  onNotice?(line: string): void;
  /** The steps begin (time spent before this does not count as step time). */
  onStepsStart?(): void;
  /** A step is done: where the run stands and the step's losses. */
  onStep?(progress: StepProgress): void;
  /** The stream of steps pauses (to validate, or to save and stop): a progress line should end here. */
  onPause?(): void;
  /** The validation of a finished epoch (`ema`: with the EMA weights). */
  onValidation?(epoch: number, result: ValidationResult, ema: boolean): void;
  /** An epoch is done and its checkpoint saved. */
  onEpoch?(record: EpochRecord, epochs: number): void;
  /** A stop was asked for (Ctrl-C); `line` says what happens now. */
  onInterrupt?(line: string): void;
}

/** What `onStart` reports. */
export interface RunStartInfo {
  config: RunConfig;
  backend: string;
  parameters: number;
  stepsPerEpoch: number;
  totalSteps: number;
  ema: boolean;
  out: string;
  resumedAt?: TrainProgress;
}

/** What `onStep` reports. */
export interface StepProgress extends StepLosses {
  /** 1-based epoch, and the run's epochs. */
  epoch: number;
  epochs: number;
  /** 1-based batch within the epoch, and the epoch's batches. */
  batch: number;
  batches: number;
  /** Steps left before the run stops. */
  stepsLeft: number;
  lr: number;
}

/** What `trainOnDataset` is asked to do. */
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
  /**
   * Validate every this many epochs (and after the last); 0 never. Default: a resumed run's recorded value
   * (the checkpoint's `session`), else 1.
   */
  evalEvery?: number;
  /**
   * Save a checkpoint every this many steps as well as at each epoch's end, so that a kill loses at most
   * that many steps; 0 only at epoch ends. Default: a resumed run's recorded value, else 0.
   */
  saveEvery?: number;
  /**
   * A fresh run into an `out` that holds another run's files (checkpoint, weights, state, log) replaces them
   * (they are deleted first); without it such a run is refused. Default false.
   */
  overwrite?: boolean;
  /** How paths are written in errors and notices (default `displayPath`: relative to the working folder when shorter). */
  showPath?: (path: string) => string;
  /** Listen for Ctrl-C, SIGTERM and SIGHUP, saving a checkpoint on the first (default true). */
  handleSignals?: boolean;
  /** Reads the initial weights file `config.weights` (default: Node's `readFile`; a CLI passes its own, for its error messages). */
  readWeights?: (path: string) => Promise<Uint8Array>;
  events?: TrainEvents;
  hooks?: TrainHooks;
}

/** How a run ended. */
export interface TrainResult {
  out: string;
  step: number;
  /** Completed epochs. */
  epochs: number;
  stopped: 'complete' | StopReason;
  /** The signal that stopped the run (`SIGINT`, `SIGTERM`, `SIGHUP`), if one did. */
  signal?: string;
  config: RunConfig;
  /** The checkpoint file written last, if any. */
  checkpoint?: string;
  last?: StepLosses;
  validation?: ValidationResult;
  /** The run's JSON-lines log. */
  log: string;
  /** Compute seconds of each step of this session, in order. */
  stepSeconds: number[];
}

/**
 * The error to report when a step throws. The wasm backend aborts (`Aborted()`) when its 4 GiB heap is
 * exhausted and cannot be used afterwards: say so and what to change.
 */
function stepFailure(error: unknown, step: number, config: RunConfig, checkpointNote: string): unknown {
  const message = errorText(error);
  if (!/Aborted\(|out of memory|Cannot enlarge memory|Array buffer allocation failed/i.test(message)) return error;
  return new TrainError(
    `step ${step} ran out of memory (${message.slice(0, 60)}): ${config.microBatch} image${config.microBatch === 1 ? '' : 's'} of ` +
      `${inputShape(config.size).join('x')} per pass do not fit the backend's heap (wasm: 4 GiB); use a smaller --micro-batch or --size. ${checkpointNote}`,
  );
}

/** The run's settings with the warm-up resolved against the dataset. */
function resolveConfig(input: RunConfigInput, stepsPerEpoch: number): RunConfig {
  return { ...input, warmupSteps: input.warmupSteps ?? defaultWarmupSteps(input.epochs * stepsPerEpoch) };
}

/**
 * Trains (or resumes training) an EfficientDet on a detection dataset folder: streaming batches, warm-up +
 * cosine learning rate, optional EMA, a checkpoint every epoch (and on Ctrl-C or `maxSteps`), a JSON-lines
 * log, validation loss and mAP. The active tfjs backend is used as it is. Writes no output: it reports
 * through `request.events`. Frees everything it made (model, optimizer, EMA, workers) before it returns.
 * Before anything is allocated it checks the sizes (`checkRunSizes`) and every image's header
 * (`checkDatasetImages`), takes the folder's lock (`acquireRunLock`), refuses a folder holding another run
 * unless `overwrite` (`claimRunFolder`), and removes temporary files of killed runs.
 * @throws TrainError for a non-finite loss (naming step and images), a bad checkpoint, a step out of memory,
 *   sizes past the limits, a folder in use or holding another run; `DataError` for a bad dataset or image
 */
export async function trainOnDataset(request: TrainRequest): Promise<TrainResult> {
  const events = request.events ?? {};
  const resumed = request.resume;
  const input: RunConfigInput = resumed ? { ...resumed.json.config, epochs: resumed.epochs ?? resumed.json.config.epochs } : request.config!;
  checkRunSizes(input);
  const { train, val } = loadDatasetSplits({ data: input.data, format: input.format, split: input.split, valSplit: input.valSplit });
  if (resumed && train.classNames.join('\n') !== resumed.json.classNames.join('\n')) {
    throw new TrainError(`the dataset's classes (${train.classNames.join(', ')}) are not the checkpoint's (${resumed.json.classNames.join(', ')})`);
  }
  if (train.samples.length < input.batch) {
    throw new TrainError(`the ${train.split} split has ${train.samples.length} image${train.samples.length === 1 ? '' : 's'}, fewer than --batch ${input.batch}`);
  }
  const stepsPerEpoch = batchesPerEpoch(train.samples.length, input.batch, true);
  const config = resolveConfig(resumed ? { ...input, warmupSteps: resumed.json.config.warmupSteps } : input, stepsPerEpoch);
  const totalSteps = config.epochs * stepsPerEpoch;
  const schedule: Schedule = { baseLr: config.lr, warmupSteps: config.warmupSteps, totalSteps, minLr: 0 };
  const notice = (line: string) => events.onNotice?.(line);
  await checkDatasetImages(val ? [train, val] : [train]);
  const session = {
    evalEvery: request.evalEvery ?? resumed?.json.session?.evalEvery ?? 1,
    saveEvery: request.saveEvery ?? resumed?.json.session?.saveEvery ?? 0,
  };

  const out = request.out;
  const show = request.showPath ?? displayPath;
  await mkdir(out, { recursive: true }).catch((error: unknown) => {
    throw new TrainError(`cannot create the output folder ${show(out)} (${errorText(error)})`);
  });
  const lock = acquireRunLock(out, notice, show);
  try {
    // Resuming in the checkpoint's own folder continues that run; anywhere else the folder must be free.
    const continuing = resumed !== undefined && resolve(dirname(resumed.file)) === resolve(out);
    if (!continuing) await claimRunFolder(out, request.overwrite ?? false, show);
    const leftovers = await removeTemporaryLeftovers(out);
    if (leftovers.length > 0) notice(`removed ${leftovers.length} temporary file${leftovers.length === 1 ? '' : 's'} of a run that was killed while saving (${leftovers.join(', ')})`);
    const dropped = train.samples.length % config.batch;
    if (dropped > 0) {
      notice(
        `${dropped} of the ${train.samples.length} ${train.split} images ${dropped === 1 ? 'is' : 'are'} left out of each epoch (not a multiple of --batch ${config.batch}); ` +
          'each epoch shuffles anew, so different ones are left out',
      );
    }
    return await trainInFolder({ request, events, resumed, config, train, val, stepsPerEpoch, totalSteps, schedule, notice, out, show, session, continuing });
  } finally {
    lock.release();
  }
}

/** What `trainInFolder` continues with once the folder is taken. */
interface RunSetup {
  request: TrainRequest;
  events: TrainEvents;
  resumed: TrainRequest['resume'];
  config: RunConfig;
  train: DetectionDataset;
  val: DetectionDataset | undefined;
  stepsPerEpoch: number;
  totalSteps: number;
  schedule: Schedule;
  notice: (line: string) => void;
  out: string;
  show: (path: string) => string;
  session: { evalEvery: number; saveEvery: number };
  /** Resuming in the checkpoint's own folder. */
  continuing: boolean;
}

/** The run itself, in a folder this process holds. */
async function trainInFolder(setup: RunSetup): Promise<TrainResult> {
  const { request, events, resumed, config, train, val, stepsPerEpoch, totalSteps, schedule, notice, out, show, session, continuing } = setup;
  const backend = getBackend();
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
  const interrupt = interruptHandler(stop, (line) => events.onInterrupt?.(line));
  const removeHandler = request.handleSignals === false ? () => undefined : onNextStopSignal(interrupt);
  try {
    if (!resumed && config.weights !== null) {
      const readWeights = request.readWeights ?? (async (path: string) => new Uint8Array(await readFile(path)));
      const loaded = loadInitialWeights(model, await readWeights(config.weights), config.weights);
      if (loaded.fileClasses !== undefined) notice(classChangeNotice(show(config.weights), loaded.fileClasses, train.classNames.length));
    }
    if (config.ema !== null) ema = new WeightEma(model, config.ema);
    const dropConnect = new DropConnectRandom(model, config.seed);
    let progress: TrainProgress = { epoch: 0, batchInEpoch: 0, step: 0 };
    let bestMap: number | null = null;
    if (resumed) {
      await restoreCheckpoint(resumed.file, resumed.json, { model, optimizer, ema });
      if (continuing && !(await checkWeightsFile(resumed.file, resumed.json))) {
        // Killed after new weights were renamed into place but before their checkpoint.json: go back to the pair.
        await rewriteWeightsFile(resumed.file, resumed.json, { model, ema });
        notice(`${WEIGHTS_FILE} was not the checkpoint's (the run was stopped while saving); rewrote it from step ${resumed.json.progress.step}`);
      }
      progress = { ...resumed.json.progress };
      bestMap = resumed.json.bestMap;
    }
    // Where the run stands: the loop advances it, checkpoints save it.
    const state: RunState = { progress, bestMap };

    events.onData?.(train, val);
    events.onStart?.({
      config,
      backend,
      parameters: model.parameterCount(),
      stepsPerEpoch,
      totalSteps,
      ema: ema !== undefined,
      out,
      resumedAt: resumed ? { ...progress } : undefined,
    });
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
    await writeFileAtomic(join(out, 'classes.json'), `${JSON.stringify(train.classNames)}\n`);
    const log = new JsonLinesLog(join(out, LOG_FILE));
    const runStart = performance.now();
    const elapsed = () => (performance.now() - runStart) / 1000;
    log.write({ type: 'start', resumed: resumed !== undefined, step: progress.step, time: new Date().toISOString(), config, backend, classNames: train.classNames, stepsPerEpoch, totalSteps });

    let checkpointFile: string | undefined = resumed?.file;
    let checkpointNote = resumed ? `The last checkpoint (step ${progress.step}) in ${show(out)} is intact.` : 'No checkpoint was written yet.';
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
          progress: state.progress,
          rng: { seed: config.seed, epoch: state.progress.epoch, batchInEpoch: state.progress.batchInEpoch },
          schedule,
          optimizer: { name: config.optimizer, weightDecay: config.weightDecay },
          bestMap: state.bestMap,
          session,
        },
      });
      checkpointFile = join(out, CHECKPOINT_FILE);
      checkpointNote = `The last checkpoint (epoch ${state.progress.epoch}, step ${state.progress.step}) in ${show(out)} is intact.`;
      return json;
    };

    const { normalization } = model.config;
    const pipeline: PipelineOptions = { size: config.size, normalization, batchSize: config.batch, seed: config.seed, augment: config.augment, shuffle: true, dropLast: true };
    // One stream over every remaining epoch, so the next epoch's first batches load during validation.
    function* tasks(): Generator<() => Promise<Batch>> {
      for (let epoch = progress.epoch; epoch < config.epochs; epoch++) {
        const plan = epochBatches(train.samples.length, epoch, pipeline);
        const first = epoch === progress.epoch ? progress.batchInEpoch : 0;
        for (let index = first; index < plan.length; index++) yield () => loadBatch(train.samples, plan[index], epoch, index, pipeline);
      }
    }
    const stepLimit = Math.min(totalSteps, request.maxSteps ?? Infinity);
    if (workerCount > 1 && request.hooks?.step === undefined) {
      workers = await GradientWorkers.start(model, { count: workerCount, spawn: spawnWorkerThread, dropConnectSeed: config.seed, syncBatchNorm });
      events.onWorkers?.({ count: workerCount, passes, microBatch: config.microBatch, syncBatchNorm, normImages });
    }
    const pool = workers;
    const step: StepFunction =
      request.hooks?.step ??
      (pool === undefined
        ? (stepModel, stepOptimizer, x, targets, { step: _index, ...options }) => trainStep(stepModel, stepOptimizer, x, targets, options)
        : (stepModel, stepOptimizer, x, targets, options) => parallelTrainStep(pool, stepModel, stepOptimizer, x, targets, options));

    if (progress.epoch >= config.epochs) notice(`the run has finished its ${config.epochs} epochs; pass a larger --epochs to train on`);
    events.onStepsStart?.();
    const ended = await trainEpochs(
      {
        model,
        optimizer,
        ema,
        dropConnect,
        schedule,
        epochs: config.epochs,
        stepsPerEpoch,
        stepLimit,
        batches: prefetch(tasks(), 3),
        stop,
        runStep: (x, targets, index) =>
          step(model, optimizer, x, targets, { channelsLast: true, clipGradientNorm: config.clip > 0 ? config.clip : undefined, microBatch: config.microBatch, step: index }),
        stepFailure: (error, index) => stepFailure(error, index, config, checkpointNote),
        checkpointNote: () => checkpointNote,
        elapsed,
        saveEvery: session.saveEvery,
        validatesAfter: (epoch) => val !== undefined && session.evalEvery > 0 && (epoch % session.evalEvery === 0 || epoch === config.epochs),
        validate: () => validate(model, val!, streamEpoch(val!.samples, 0, 0, validationPipeline({ size: config.size, batch: config.batch, normalization }))),
        onValidation: (epoch, result) => events.onValidation?.(epoch, result, ema !== undefined),
        save: async (reason) => {
          await save(reason);
        },
        onStep: ({ record, epochs, batch, batches, stepsLeft, images }) => {
          log.write(record);
          const { loss, classificationLoss, boxLoss, lr } = record;
          events.onStep?.({ epoch: record.epoch, epochs, batch, batches, stepsLeft, loss, classificationLoss, boxLoss, lr });
          request.hooks?.onStep?.({ loss, classificationLoss, boxLoss, step: record.step, epoch: record.epoch, batch, lr, images, interrupt });
        },
        onEpoch: async (record, improved) => {
          log.write(record);
          await save('epoch');
          if (improved) await writeFileAtomic(join(out, BEST_WEIGHTS_FILE), new Uint8Array(await readFile(join(out, WEIGHTS_FILE))));
          events.onEpoch?.(record, config.epochs);
        },
        onPause: () => events.onPause?.(),
      },
      state,
    );
    events.onPause?.();
    const { stopped, last, validation, stepSeconds } = ended;
    return { out, step: state.progress.step, epochs: state.progress.epoch, stopped, signal: stop.signal, config, checkpoint: checkpointFile, last, validation, log: log.path, stepSeconds };
  } finally {
    removeHandler();
    await workers?.close();
    ema?.dispose();
    optimizer.dispose();
    model.dispose();
  }
}
