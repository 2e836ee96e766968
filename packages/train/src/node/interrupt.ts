/**
 * Installs `handler` (e.g. `interruptHandler(signal, notify)`) for the next SIGINT only, so that a second
 * Ctrl-C gets Node's default behaviour; returns the function that removes it.
 */
export function onNextSigint(handler: () => void): () => void {
  process.once('SIGINT', handler);
  return () => process.off('SIGINT', handler);
}
