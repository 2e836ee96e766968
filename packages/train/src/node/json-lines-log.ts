import { appendFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';

import { displayPath } from '@edet/data/node';

import { errorText } from '@edet/tensor';
import { TrainError } from '../errors.js';
import { type LogRecord, formatLogLine, parseLog } from '../log-records.js';

/** The log file in a run folder. */
export const LOG_FILE = 'log.jsonl';

/**
 * The JSON-lines log: one object per line, appended synchronously (so a line is on disk before the next
 * step starts; a resumed run appends to the same file).
 */
export class JsonLinesLog {
  constructor(readonly path: string) {}

  write(record: LogRecord): void {
    appendFileSync(this.path, formatLogLine(record));
  }
}

/** Reads a log, skipping lines that do not parse (a line cut by a crash); throws `TrainError` naming `path`. */
export async function readLog(path: string): Promise<LogRecord[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new TrainError(`${displayPath(path)}: cannot read the log (${errorText(error)})`);
  }
  return parseLog(text);
}
