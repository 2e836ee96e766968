/**
 * Pauses a training run between steps: the worker's batch stream awaits `wait()` before handing over each
 * batch, so a paused run finishes the step in progress and then waits, holding its weights, until `resume()`.
 */
export class PauseGate {
  private waiting: Promise<void> | undefined;
  private release: (() => void) | undefined;

  get paused(): boolean {
    return this.waiting !== undefined;
  }

  pause(): void {
    if (this.waiting === undefined) this.waiting = new Promise((resolve) => (this.release = resolve));
  }

  resume(): void {
    const release = this.release;
    this.waiting = this.release = undefined;
    release?.();
  }

  /** Resolves at once when running, else at the next `resume()`. */
  wait(): Promise<void> {
    return this.waiting ?? Promise.resolve();
  }
}
