import { appendFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';

import { displayPath } from '@edet/data/node';

import { CliError, oneLineMessage } from '../errors.js';

/** The log file in a run folder. */
export const LOG_FILE = 'log.jsonl';

/** One training step. `time` is seconds since the run (or resumed run) started. */
export interface StepRecord {
  type: 'step';
  epoch: number;
  step: number;
  loss: number;
  classificationLoss: number;
  boxLoss: number;
  lr: number;
  /** Seconds the step computed (forward, backward, update, loss read-back). */
  seconds: number;
  /** Seconds spent waiting for the batch before it (0 when the prefetch kept up). */
  waitSeconds: number;
  time: number;
}

/** One finished epoch: mean training losses, and validation results when evaluated. */
export interface EpochRecord {
  type: 'epoch';
  epoch: number;
  step: number;
  loss: number;
  classificationLoss: number;
  boxLoss: number;
  lr: number;
  seconds: number;
  time: number;
  valLoss?: number;
  /** COCO mAP@[.5:.95] and mAP@.5 of the validation split, when an evaluator is available. */
  map?: number;
  map50?: number;
}

/** Start of a run or of a resumed run. */
export interface StartRecord {
  type: 'start';
  resumed: boolean;
  step: number;
  time: string;
  [key: string]: unknown;
}

export type LogRecord = StepRecord | EpochRecord | StartRecord;

/**
 * The JSON-lines log: one object per line, appended synchronously (so a line is on disk before the next
 * step starts; a resumed run appends to the same file).
 */
export class JsonLinesLog {
  constructor(readonly path: string) {}

  write(record: LogRecord): void {
    appendFileSync(this.path, `${JSON.stringify(record, (_, value) => (typeof value === 'number' && !Number.isFinite(value) ? String(value) : value))}\n`);
  }
}

/** Reads a log, skipping lines that do not parse (a line cut by a crash). */
export async function readLog(path: string): Promise<LogRecord[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new CliError(`${displayPath(path)}: cannot read the log (${oneLineMessage(error)})`);
  }
  const records: LogRecord[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      records.push(JSON.parse(line) as LogRecord);
    } catch {
      // a partial last line
    }
  }
  return records;
}
