/** Why a run stops before its last epoch. */
export type StopReason = 'interrupt' | 'max-steps';

/** A flag the training loop checks between steps. */
export class StopSignal {
  reason: StopReason | undefined;

  request(reason: StopReason): void {
    this.reason ??= reason;
  }

  get requested(): boolean {
    return this.reason !== undefined;
  }
}

/**
 * The Ctrl-C handler: asks the loop to stop after the step in progress (a step cannot be cut short: the
 * wasm backend computes it synchronously), save a checkpoint and return; `notify` gets one line to show.
 * In Node, `onNextSigint` from `@edet/train/node` installs it for one SIGINT, so a second Ctrl-C gets
 * Node's default behaviour and ends the process at once, without saving. Tests call the returned function
 * instead of sending a signal.
 */
export function interruptHandler(signal: StopSignal, notify: (line: string) => void): () => void {
  return () => {
    if (signal.requested) return;
    signal.request('interrupt');
    notify('interrupted: saving a checkpoint after this step (Ctrl-C again to quit without saving)');
  };
}
