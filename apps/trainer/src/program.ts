import { Command } from 'commander';

import packageJson from '../package.json' with { type: 'json' };
import { registerBenchCommand } from './commands/bench.js';
import { registerConvertCommand } from './commands/convert.js';
import { registerDetectCommand } from './commands/detect.js';
import { registerEvalCommand } from './commands/eval.js';
import { registerTrainCommand } from './commands/train.js';
import { oneLineMessage } from './errors.js';
import type { CommandIo } from './io.js';

/**
 * The `edet` program with all its commands. It never exits the process itself (`exitOverride`): parse
 * errors are printed as one `edet: ...` line and thrown as a `CommanderError` carrying the exit code, so
 * that the caller decides and tests can run it in-process.
 */
export function createProgram(io: CommandIo): Command {
  const program = new Command('edet')
    .description('EfficientDet object detection on TensorFlow.js (Node: wasm or cpu backend)')
    .version(packageJson.version)
    .exitOverride()
    .configureOutput({
      writeOut: io.out,
      writeErr: io.err,
      outputError: (message, write) => write(`edet: ${oneLineMessage(message.replace(/^error: /, ''))}\n`),
    });
  // Subcommands copy the settings above when they are created, so they must come after them.
  registerDetectCommand(program, io);
  registerBenchCommand(program, io);
  registerEvalCommand(program, io);
  registerTrainCommand(program, io);
  registerConvertCommand(program, io);
  return program;
}
