/** What step and epoch records share: where in the run, the loss parts and the learning rate. */
interface LossRecord {
  epoch: number;
  step: number;
  loss: number;
  classificationLoss: number;
  boxLoss: number;
  lr: number;
}

/** One training step. `time` is seconds since the run (or resumed run) started. */
export interface StepRecord extends LossRecord {
  type: 'step';
  /** Seconds the step computed (forward, backward, update, loss read-back). */
  seconds: number;
  /** Seconds spent waiting for the batch before it (0 when the prefetch kept up). */
  waitSeconds: number;
  time: number;
}

/** One finished epoch: mean training losses, and validation results when evaluated. */
export interface EpochRecord extends LossRecord {
  type: 'epoch';
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

/** What a training log holds, one record per line. */
export type LogRecord = StepRecord | EpochRecord | StartRecord;

/** One record as a JSON line (with its newline); non-finite numbers are written as strings ("NaN"). */
export function formatLogLine(record: LogRecord): string {
  return `${JSON.stringify(record, (_, value) => (typeof value === 'number' && !Number.isFinite(value) ? String(value) : value))}\n`;
}

/** The records of a JSON-lines log, skipping lines that do not parse (a line cut by a crash). */
export function parseLog(text: string): LogRecord[] {
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
