#!/usr/bin/env node
import { CommanderError } from 'commander';

import { exitQuietlyOnBrokenPipe } from './broken-pipe.js';
import { oneLineMessage } from './errors.js';
import { processIo } from './io.js';
import { createProgram } from './program.js';

// The process entry point: every failure ends as one `edet: <message>` line on stderr and a non-zero exit
// code, never a stack trace (set EDET_DEBUG=1 to see one). A reader that goes away (`| head -1`) ends the
// process quietly, for every command.
exitQuietlyOnBrokenPipe(process.stdout);
exitQuietlyOnBrokenPipe(process.stderr);
try {
  await createProgram(processIo).parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // Commander has printed its message (or the help text) already.
    process.exitCode = error.exitCode;
  } else {
    process.stderr.write(`edet: ${oneLineMessage(error)}\n`);
    if (process.env.EDET_DEBUG) process.stderr.write(`${error instanceof Error ? error.stack : ''}\n`);
    process.exitCode = 1;
  }
}
