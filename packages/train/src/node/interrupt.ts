/**
 * Installs `handler` (e.g. `interruptHandler(signal, notify)`) for the next SIGINT only, so that a second
 * Ctrl-C gets Node's default behaviour; returns the function that removes it.
 */
export function onNextSigint(handler: () => void): () => void {
  process.once('SIGINT', handler);
  return () => process.off('SIGINT', handler);
}

/** The signals that ask a run to save and stop: Ctrl-C, `kill` (and service managers), a closed terminal. */
export const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * Installs `handler` for the first of `STOP_SIGNALS` to arrive (it gets the signal's name); then all are
 * removed, so a second signal gets Node's default behaviour and ends the process at once. Returns the
 * function that removes them.
 */
export function onNextStopSignal(handler: (signal: string) => void): () => void {
  const remove = () => {
    for (const name of STOP_SIGNALS) process.off(name, listener);
  };
  const listener = (signal: NodeJS.Signals) => {
    remove();
    handler(signal);
  };
  for (const name of STOP_SIGNALS) process.on(name, listener);
  return remove;
}
