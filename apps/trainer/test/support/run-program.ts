import { createProgram } from '../../src/program.js';

/** What an in-process `edet` run printed, and what it threw (what cli.ts would report and exit on). */
export interface ProgramRun {
  out: string;
  err: string;
  error?: unknown;
}

/** Runs `edet ...args` in-process with captured stdout/stderr. */
export async function runProgram(args: string[]): Promise<ProgramRun> {
  let out = '';
  let err = '';
  const program = createProgram({ out: (text) => void (out += text), err: (text) => void (err += text) });
  try {
    await program.parseAsync(args, { from: 'user' });
    return { out, err };
  } catch (error) {
    return { out, err, error };
  }
}
