import { writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';

import { CommanderError, InvalidArgumentError, Option, type Command } from 'commander';
import { randomSeed } from '@edet/data';
import { DATASET_FORMATS, type DatasetFormat, detectFormat, displayPath } from '@edet/data/node';
import { checkpointGeometry, efficientDetPreset, type InputSize } from '@edet/model';
import { MAX_TRAIN_SIZE, OPTIMIZERS, type OptimizerName, checkRunSizes, defaultMicroBatch, defaultWeightDecay } from '@edet/train';
import { CHECKPOINT_FILE, type RunConfig, WEIGHTS_FILE, latestRun, readCheckpointJson, readLog, signalExitCode } from '@edet/train/node';

import { NODE_BACKENDS, startBackend, type NodeBackend } from '../backend.js';
import { BUNDLED_DATASET } from '../bundled-dataset.js';
import { CliError, oneLineMessage } from '../errors.js';
import { processIo, type CommandIo } from '../io.js';
import { type Architecture, MODEL_NAMES_HINT, architectureConfig, chooseArchitecture, describeArchitecture, parseModelName } from '../model-names.js';
import { readWeightsFile } from '../model.js';
import { integerParser, parseTrainSize } from '../options.js';
import { resolveCheckpointPath } from '../train/resume-path.js';
import { PLOT_FILE, plotTrainingLog } from '../train/plot.js';
import { formatDuration } from '../train/progress.js';
import { type TrainResult, runTraining } from '../train/trainer.js';

/** The parsed options of `edet train`. */
export interface TrainOptions {
  data?: string;
  format?: DatasetFormat;
  split: string;
  valSplit: string;
  /** Model by published name; default: the `--weights` file's `model` metadata, else `coef`'s D variant. */
  model?: string;
  /** EfficientDet variant (must agree with `model`); default: the `--weights` file's `compound_coef`, else 0. */
  coef?: number;
  /** A square side or `[height, width]`, positive integers up to `MAX_TRAIN_SIZE`. */
  size?: InputSize;
  batch: number;
  microBatch?: number;
  epochs: number;
  lr: number;
  optimizer: OptimizerName;
  weightDecay?: number;
  warmupSteps?: number;
  clip: number;
  /** `true` for the default decay. */
  ema?: boolean | number;
  /** Batch norm's running-statistics momentum; default the model's (0.01). */
  bnMomentum?: number;
  seed?: number;
  out?: string;
  /** `true` for the latest run (or `--out`). */
  resume?: boolean | string;
  weights?: string;
  maxSteps?: number;
  backend?: NodeBackend;
  workers?: number;
  /** False with `--no-sync-bn`. */
  syncBn: boolean;
  augment: boolean;
  evalEvery: number;
  /** Steps between checkpoints within an epoch (0: at epoch ends only). */
  saveEvery?: number;
  /** Replace the run in `--out` instead of refusing. */
  overwrite?: boolean;
  plot?: string;
}

/** EMA decay when `--ema` has no value (the official EfficientDet value). */
export const DEFAULT_EMA_DECAY = 0.9998;
/** Folder of the default run folders. */
export const RUNS_FOLDER = 'runs';

/** A positive finite number (`1e-3`). */
function parsePositive(value: string): number {
  const number = Number(value);
  if (value.trim() === '' || !Number.isFinite(number) || number <= 0) throw new InvalidArgumentError('expected a positive number.');
  return number;
}

/** A finite number >= 0. */
function parseNonNegative(value: string): number {
  const number = Number(value);
  if (value.trim() === '' || !Number.isFinite(number) || number < 0) throw new InvalidArgumentError('expected a number >= 0.');
  return number;
}

/** An EMA decay in (0, 1). */
function parseDecay(value: string): number {
  const number = Number(value);
  if (value.trim() === '' || !(number > 0 && number < 1)) throw new InvalidArgumentError('expected a decay between 0 and 1 (e.g. 0.9998).');
  return number;
}

/** A momentum in (0, 1]. */
function parseMomentum(value: string): number {
  const number = Number(value);
  if (value.trim() === '' || !(number > 0 && number <= 1)) throw new InvalidArgumentError('expected a number in (0, 1] (e.g. 0.1).');
  return number;
}

/** `runs/2025-01-31T12-00-00` (UTC), a name that sorts by time. */
export function defaultRunFolder(now = new Date()): string {
  return join(RUNS_FOLDER, now.toISOString().slice(0, 19).replace(/:/g, '-'));
}

/** Adds `edet train` to the program. */
export function registerTrainCommand(program: Command, io: CommandIo): void {
  program
    .command('train')
    .description('train EfficientDet on a COCO or Pascal VOC dataset (default: the bundled BCCD blood-cell set)')
    .option('--data <dir>', 'dataset folder: COCO (instances_<split>.json + images/) or VOC (Annotations/ + JPEGImages/)')
    .addOption(new Option('--format <format>', 'dataset format (default: detected)').choices(DATASET_FORMATS))
    .option('--split <name>', 'training split', 'train')
    .option('--val-split <name>', 'validation split (skipped when the dataset has none)', 'val')
    .option('--model <name>', `model by published name: ${MODEL_NAMES_HINT} (default: the --weights file's model metadata, else --coef)`, parseModelName)
    .option('--coef <n>', "EfficientDet variant, 0 for D0, as zylo117's efficientdet-d<n> (default: the --weights file's compound_coef metadata, else 0)", integerParser(0))
    .option('--size <pixels>', `input side or HEIGHTxWIDTH (e.g. 384x640), sides up to ${MAX_TRAIN_SIZE} (default: the model's, 512 for D0, 320 for Lite0)`, parseTrainSize)
    .option('--batch <n>', 'images per step', integerParser(1), 4)
    .option('--micro-batch <n>', 'images per forward/backward pass, at most --batch; gradients of the passes are averaged (default: batch / workers, at most what fits the backend: 2 for D0 at 512 on wasm)', integerParser(1))
    .option('--epochs <n>', 'passes over the training split', integerParser(1), 30)
    .option('--lr <rate>', 'peak learning rate', parsePositive, 1e-3)
    .addOption(new Option('--optimizer <name>', 'optimizer').choices(OPTIMIZERS).default('adamw'))
    .option('--weight-decay <w>', 'weight decay of conv kernels (default 0.01 for adamw, 4e-5 for sgd)', parseNonNegative)
    .option('--warmup-steps <n>', 'linear warm-up steps before the cosine decay (default 5% of the run, at most 500)', integerParser(0))
    .option('--clip <norm>', 'clip the global gradient norm; 0 for no clipping', parseNonNegative, 10)
    .option('--ema [decay]', `keep an exponential moving average of the weights, evaluated and saved (default decay ${DEFAULT_EMA_DECAY})`, parseDecay)
    .option('--bn-momentum <m>', "how far batch norm's running statistics, which evaluation and detection use, move towards each batch's, in (0, 1]; more than the default 0.01 lets them keep up in a short fine-tuning run", parseMomentum)
    .option('--seed <n>', 'seed of shuffling, augmentation and initialisation (default: random, recorded)', integerParser(0))
    .option('--out <dir>', `run folder for checkpoints, log and plot (default: ${RUNS_FOLDER}/<time>); one holding another run is refused (see --resume, --overwrite)`)
    .option('--overwrite', 'replace the run in --out (its checkpoint, weights, state and log are deleted first)')
    .option('--resume [dir]', `continue a run from its checkpoint (a run folder or its ${CHECKPOINT_FILE}; default: --out or the latest run)`)
    .option('--weights <file>', 'start from these weights (safetensors or PyTorch .pth); a different class count re-initialises the class layer')
    .option('--max-steps <n>', 'stop (with a checkpoint) once the run has made this many steps', integerParser(1))
    .addOption(new Option('--backend <name>', 'tfjs backend (default: wasm, falling back to cpu)').choices(NODE_BACKENDS))
    .option('--workers <n>', "worker threads computing a step's passes in parallel, 1 for this thread only (default: one per core, at most one per pass)", integerParser(1))
    .option('--no-sync-bn', "with several workers, let each pass normalise with its own batch-norm statistics instead of the workers' passes together")
    .option('--no-augment', 'no flips, scale/crop or colour jitter')
    .option('--eval-every <n>', 'validate every n epochs (and after the last); 0 never (default 1; a resumed run keeps its own)', integerParser(0), 1)
    .option('--save-every <n>', 'also save a checkpoint every n steps, so a kill loses at most n steps (default: at the end of each epoch; a resumed run keeps its own)', integerParser(1))
    .option('--plot <logfile>', 'only draw the loss/mAP plot of a log.jsonl (as training.png next to it) and exit')
    .action(async (options: TrainOptions, command: Command) => {
      const explicit = (name: string) => command.getOptionValueSource(name) === 'cli';
      await runTrain(options, io, { explicit, tty: io === processIo && process.stderr.isTTY === true });
    });
}

/** How `runTrain` was called: which options the user typed, and whether stderr is a terminal. */
export interface TrainContext {
  explicit: (option: string) => boolean;
  tty: boolean;
}

/**
 * What a resumed run does with each option of `edet train`, so that none is forgotten: `checkpoint`: the
 * run's recorded value is used and a value on the command line is ignored with a note (it decides what the
 * run computes); `recorded`: the run's recorded value unless given again; `command line`: this invocation's
 * (where and how this session runs). A test checks that every option of the command is here.
 */
export const RESUME_RULES: Record<string, 'checkpoint' | 'recorded' | 'command line'> = {
  data: 'checkpoint',
  format: 'checkpoint',
  split: 'checkpoint',
  valSplit: 'checkpoint',
  model: 'checkpoint',
  coef: 'checkpoint',
  size: 'checkpoint',
  batch: 'checkpoint',
  microBatch: 'checkpoint',
  lr: 'checkpoint',
  optimizer: 'checkpoint',
  weightDecay: 'checkpoint',
  warmupSteps: 'checkpoint',
  clip: 'checkpoint',
  ema: 'checkpoint',
  bnMomentum: 'checkpoint',
  seed: 'checkpoint',
  augment: 'checkpoint',
  weights: 'checkpoint',
  epochs: 'recorded',
  evalEvery: 'recorded',
  saveEvery: 'recorded',
  maxSteps: 'command line',
  backend: 'command line',
  workers: 'command line',
  syncBn: 'command line',
  out: 'command line',
  resume: 'command line',
  overwrite: 'command line',
  plot: 'command line',
};

/** Writes the plot of a log file and says where. */
async function plotOnly(logFile: string, options: TrainOptions, io: CommandIo): Promise<void> {
  const records = await readLog(logFile);
  if (records.length === 0) throw new CliError(`${logFile}: no log records`);
  const target = join(options.out ?? dirname(logFile), PLOT_FILE);
  try {
    await writeFile(target, await plotTrainingLog(records));
  } catch (error) {
    throw new CliError(`cannot write ${target} (${oneLineMessage(error)})`);
  }
  io.out(`plot: ${pathShower(options.out ?? logFile)(target)}\n`);
}

/**
 * The network a new run trains: `--model`, else `--coef`, else what the `--weights` file records (its
 * `model` metadata, else `compound_coef`), else D0.
 * @throws CliError when `--model` and `--coef` disagree
 */
async function trainArchitecture(options: TrainOptions): Promise<Architecture> {
  const asked = chooseArchitecture({ model: options.model, compoundCoef: options.coef });
  if (options.model !== undefined || options.coef !== undefined || options.weights === undefined) return asked;
  const weights = await readWeightsFile(options.weights);
  return chooseArchitecture({ recorded: checkpointGeometry(weights.header.metadata, options.weights) });
}

/** The checkpoint a `--resume` means. */
async function resumeTarget(options: TrainOptions): Promise<string> {
  if (typeof options.resume === 'string') return resolveCheckpointPath(options.resume);
  if (options.out !== undefined) return resolveCheckpointPath(options.out);
  const latest = await latestRun(RUNS_FOLDER);
  if (latest === undefined) throw new CliError(`--resume: no run with a ${CHECKPOINT_FILE} under ${RUNS_FOLDER}/; name one (--resume runs/<time>)`);
  return join(latest, CHECKPOINT_FILE);
}

/**
 * Runs `edet train`: checks the options, starts the backend, trains (or resumes), and prints where the
 * results are. A Ctrl-C ends with a saved checkpoint, a line saying how to resume, and exit code 130.
 */
export async function runTrain(options: TrainOptions, io: CommandIo, context: TrainContext): Promise<TrainResult | undefined> {
  if (options.plot !== undefined) {
    await plotOnly(options.plot, options, io);
    return undefined;
  }
  let result: TrainResult;
  if (options.resume !== undefined && options.resume !== false) {
    const file = await resumeTarget(options);
    const json = await readCheckpointJson<RunConfig>(file);
    const ignored = Object.keys(options).filter((key) => context.explicit(key) && RESUME_RULES[key] === 'checkpoint');
    if (ignored.length > 0) {
      const flags = ignored.map((key) => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`);
      io.err(`edet: note: resuming with the checkpoint's settings; ignored ${flags.join(', ')}\n`);
    }
    await startBackend(options.backend);
    const given = typeof options.resume === 'string' ? options.resume : options.out;
    result = await runTraining({
      resume: { file, json, epochs: context.explicit('epochs') ? options.epochs : undefined },
      out: options.out === undefined ? dirname(file) : resolve(options.out),
      maxSteps: options.maxSteps,
      workers: options.workers ?? availableParallelism(),
      syncBatchNorm: options.syncBn,
      // Unless given again, the run's own (recorded in its checkpoint).
      evalEvery: context.explicit('evalEvery') ? options.evalEvery : undefined,
      saveEvery: options.saveEvery,
      overwrite: options.overwrite,
      showPath: pathShower(given),
      io,
      tty: context.tty,
    });
  } else {
    const askedSize = options.size;
    if (options.coef !== undefined && options.coef > 8) throw new CliError(`--coef ${options.coef}: EfficientDet variants are 0..7 (8 for D7x)`);
    // A named model's settings (Lite's backbone, activation, fusion, ..., the name itself) go with the run
    // config, so that a resumed run and the saved weights (metadata `model`) are the same network.
    const architecture = await trainArchitecture(options);
    const { compoundCoef: coef, inputSize: presetSize, ...named } = architectureConfig(architecture);
    const ownSize = typeof presetSize === 'number' ? presetSize : efficientDetPreset(coef).inputSize;
    const size = askedSize ?? ownSize;
    // Before the backend starts or anything is allocated (the library checks again with the final micro-batch).
    checkRunSizes({ size, batch: options.batch, microBatch: options.microBatch ?? 1 });
    const data = resolve(options.data ?? BUNDLED_DATASET);
    const format = options.format ?? detectFormat(data, options.split);
    const backend = await startBackend(options.backend);
    const workers = options.workers ?? availableParallelism();
    result = await runTraining({
      config: {
        data,
        format,
        split: options.split,
        valSplit: options.valSplit,
        coef,
        size,
        batch: options.batch,
        microBatch: options.microBatch ?? Math.min(defaultMicroBatch(backend, coef, size, options.batch), Math.ceil(options.batch / workers)),
        epochs: options.epochs,
        lr: options.lr,
        optimizer: options.optimizer,
        weightDecay: options.weightDecay ?? defaultWeightDecay(options.optimizer),
        warmupSteps: options.warmupSteps,
        clip: options.clip,
        ema: options.ema === undefined || options.ema === false ? null : options.ema === true ? DEFAULT_EMA_DECAY : options.ema,
        seed: options.seed ?? randomSeed(),
        augment: options.augment,
        weights: options.weights === undefined ? null : resolve(options.weights),
        model: options.bnMomentum === undefined ? named : { ...named, batchNormMomentum: options.bnMomentum },
      },
      out: resolve(options.out ?? defaultRunFolder()),
      maxSteps: options.maxSteps,
      workers,
      syncBatchNorm: options.syncBn,
      evalEvery: options.evalEvery,
      saveEvery: options.saveEvery,
      overwrite: options.overwrite,
      showPath: pathShower(options.out),
      io,
      tty: context.tty,
    });
  }
  reportResult(result, io, pathShower(typeof options.resume === 'string' ? options.resume : options.out));
  // The shell's convention for a process ended by a signal: 128 + its number (Ctrl-C 130, SIGTERM 143, SIGHUP 129).
  if (result.stopped === 'interrupt') throw new CommanderError(signalExitCode(result.signal), 'edet.interrupted', 'interrupted');
  return result;
}

/** How the run's paths are printed: as absolute paths when the user gave an absolute one, else relative to here when shorter. */
export function pathShower(given: string | undefined): (path: string) => string {
  if (given !== undefined && isAbsolute(given)) return (path) => resolve(path);
  return (path) => {
    const fromHere = relative(process.cwd(), path);
    return fromHere !== '' && fromHere.length < path.length ? fromHere : path;
  };
}

/** Prints what the run did and where its files are. */
export function reportResult(result: TrainResult, io: CommandIo, show: (path: string) => string = displayPath): void {
  const out = show(result.out);
  const how = result.stopped === 'complete' ? 'finished' : result.stopped === 'interrupt' ? 'interrupted' : 'stopped at --max-steps';
  const times = [...result.stepSeconds].sort((a, b) => a - b);
  const median = times.length > 0 ? times[Math.floor(times.length / 2)] : undefined;
  const speed = median === undefined ? '' : `; ${median.toFixed(2)} s/step (median of ${times.length}), ${formatDuration(times.reduce((a, b) => a + b, 0))} of steps`;
  io.out(`${how}: step ${result.step}, ${result.epochs}/${result.config.epochs} epochs${speed}\n`);
  if (result.last) io.out(`last loss ${result.last.loss.toFixed(4)} (cls ${result.last.classificationLoss.toFixed(4)}, box ${result.last.boxLoss.toFixed(4)})\n`);
  if (result.checkpoint !== undefined) {
    io.out(`weights: ${join(out, WEIGHTS_FILE)} (edet detect --weights ${join(out, WEIGHTS_FILE)} --classes ${join(out, 'classes.json')})\n`);
    if (result.stopped !== 'complete') io.out(`resume: edet train --resume ${out}\n`);
  }
  io.out(`log: ${join(out, 'log.jsonl')}${result.plot ? `, plot: ${show(result.plot)}` : ''}\n`);
}
