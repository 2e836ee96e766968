/** Why a run stops before its last epoch. */
export type StopReason = 'interrupt' | 'max-steps';

/** A flag the training loop checks between steps. */
export class StopSignal {
  reason: StopReason | undefined;
  /** The operating-system signal that asked for the stop (`SIGINT`, `SIGTERM`, `SIGHUP`), if one did. */
  signal: string | undefined;

  request(reason: StopReason, signal?: string): void {
    if (this.reason !== undefined) return;
    this.reason = reason;
    this.signal = signal;
  }

  get requested(): boolean {
    return this.reason !== undefined;
  }
}

/**
 * The stop handler for Ctrl-C and the other signals that end a process (`SIGTERM`, `SIGHUP`): asks the loop
 * to stop after the step in progress (a step cannot be cut short: the wasm backend computes it
 * synchronously), save a checkpoint and return; `notify` gets one line to show. In Node,
 * `onNextStopSignal` from `@edet/train/node` installs it for the first of those signals only, so a second
 * one gets Node's default behaviour and ends the process at once, without saving. Tests call the returned
 * function (with a signal name, or none for Ctrl-C) instead of sending a signal.
 */
export function interruptHandler(signal: StopSignal, notify: (line: string) => void): (name?: string) => void {
  return (name?: string) => {
    if (signal.requested) return;
    signal.request('interrupt', name);
    notify(
      name === undefined || name === 'SIGINT'
        ? 'interrupted: saving a checkpoint after this step (Ctrl-C again to quit without saving)'
        : `${name} received: saving a checkpoint after this step (a second signal quits without saving)`,
    );
  };
}
