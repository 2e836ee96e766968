import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { type DetectionDataset, summarizeIssues } from '@edet/data';
import { displayPath } from '@edet/data/node';
import { inputShape } from '@edet/model';
import {
  type RunStartInfo,
  type TrainEvents,
  type TrainRequest as LibraryTrainRequest,
  type TrainResult as LibraryTrainResult,
  readLog,
  trainOnDataset,
} from '@edet/train/node';

import { describeDataset } from '../bundled-dataset.js';
import { oneLineMessage } from '../errors.js';
import { readWeightsBytes } from '../weights-bytes.js';
import type { CommandIo } from '../io.js';
import { PLOT_FILE, plotTrainingLog } from './plot.js';
import { ProgressBar } from './progress.js';

export type { StepLosses } from '@edet/train';
export type { RunConfigInput, StepFunction, StepInfo, TrainHooks } from '@edet/train/node';

/** What `edet train` asks of a run: `@edet/train`'s request, plus where and how to print. */
export interface TrainRequest extends Omit<LibraryTrainRequest, 'events' | 'readWeights'> {
  io: CommandIo;
  /** Redraw the progress bar in place (a terminal). */
  tty: boolean;
  /** Write the loss/mAP plot at the end (default true). */
  plot?: boolean;
}

/** How a run ended, and the plot drawn from its log. */
export interface TrainResult extends LibraryTrainResult {
  plot?: string;
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

/** The model line: model name (or variant), size, parameters, backend, optimizer and schedule. */
function describeRun({ config, backend, parameters, stepsPerEpoch, totalSteps, ema }: RunStartInfo): string {
  // A named model carries its name among the run's model settings (`edet train --model`).
  const name = (config.model as { model?: string }).model ?? `EfficientDet-D${config.coef}`;
  const [height, width] = inputShape(config.size);
  return (
    `model: ${name} ${height}x${width}, ${(parameters / 1e6).toFixed(2)}M parameters; backend ${backend}` +
    `; ${config.optimizer} lr ${config.lr} (warm-up ${config.warmupSteps}, cosine to ${totalSteps} steps), ` +
    `batch ${config.batch}${config.microBatch < config.batch ? ` in passes of ${config.microBatch}` : ''}, ${stepsPerEpoch} steps/epoch, seed ${config.seed}${ema ? `, EMA ${config.ema}` : ''}${config.augment ? '' : ', no augmentation'}`
  );
}

/** Prints a run's events: the lines above the progress bar, the bar itself, and notices as `edet: ...`. */
function printedEvents(io: CommandIo, progressBar: ProgressBar, show: (path: string) => string): TrainEvents {
  return {
    onData: (train, val) => {
      for (const line of describeData(train, val)) io.err(`${line}\n`);
    },
    onStart: (info) => {
      io.err(`${describeRun(info)}\n`);
      const resumed = info.resumedAt;
      io.err(`out: ${show(info.out)}${resumed ? ` (resuming at epoch ${resumed.epoch + 1}, step ${resumed.step})` : ''}\n`);
    },
    onWorkers: ({ count, passes, microBatch, syncBatchNorm, normImages }) =>
      io.err(
        `workers: ${count} threads, ${Math.ceil(passes / count)} pass${passes > count ? 'es' : ''} of ${microBatch} each per step` +
          `${syncBatchNorm ? `, batch norm synchronised over ${normImages} images` : ''}\n`,
      ),
    onNotice: (line) => io.err(`edet: ${line}\n`),
    onStepsStart: () => progressBar.start(),
    onStep: (progress) => progressBar.step(progress),
    onPause: () => progressBar.endLine(),
    onValidation: (epoch, validation, ema) => {
      const map = validation.map === undefined ? `mAP unavailable (${validation.mapError})` : `mAP ${validation.map.toFixed(4)}, mAP@.5 ${validation.map50!.toFixed(4)}`;
      io.err(`epoch ${epoch}: val loss ${validation.valLoss.toFixed(4)}, ${map}${ema ? ' (EMA weights)' : ''} [${validation.seconds.toFixed(1)} s]\n`);
    },
    onEpoch: (record, epochs) =>
      progressBar.message(
        `epoch ${record.epoch}/${epochs} done: loss ${record.loss.toFixed(4)} (cls ${record.classificationLoss.toFixed(4)} box ${record.boxLoss.toFixed(4)}), ` +
          `${record.seconds.toFixed(0)} s; checkpoint saved`,
      ),
    onInterrupt: (line) => progressBar.message(`edet: ${line}`),
  };
}

// `--weights` may be safetensors or a PyTorch .pth (converted in memory), as for detect and eval.
async function readTrainingWeights(file: string): Promise<Uint8Array> {
  return (await readWeightsBytes(file)).bytes;
}

/**
 * Trains (or resumes training) as `edet train` does: `@edet/train`'s `trainOnDataset`, with its events
 * printed (a progress bar on a terminal) and the loss/mAP plot drawn from the log at the end.
 * @throws TrainError / DataError for a bad dataset, a non-finite loss (naming step and images), a bad checkpoint
 */
export async function runTraining(request: TrainRequest): Promise<TrainResult> {
  const { io, tty, plot: drawPlot, ...rest } = request;
  const progressBar = new ProgressBar(io.err, tty, undefined, tty ? process.stderr.columns : undefined);
  const result: TrainResult = await trainOnDataset({ ...rest, events: printedEvents(io, progressBar, rest.showPath ?? displayPath), readWeights: readTrainingWeights });
  if (drawPlot !== false) {
    const plot = join(result.out, PLOT_FILE);
    try {
      await writeFile(plot, await plotTrainingLog(await readLog(result.log)));
      result.plot = plot;
    } catch (error) {
      io.err(`edet: could not draw the plot (${oneLineMessage(error)})\n`);
    }
  }
  return result;
}
