import { constants } from 'node:os';

/** The exit code of a process ended by `signal`, by the shell convention 128 + its number (SIGINT 130, SIGTERM 143, SIGHUP 129); 130 when unknown. */
export function signalExitCode(signal: string | undefined): number {
  const number = signal === undefined ? undefined : (constants.signals as Record<string, number>)[signal];
  return 128 + (number ?? constants.signals.SIGINT);
}
