/** What one progress update shows. */
export interface ProgressState {
  epoch: number;
  epochs: number;
  /** Batches done in this epoch, and the epoch's total. */
  batch: number;
  batches: number;
  /** Steps left in the whole run. */
  stepsLeft: number;
  loss: number;
  classificationLoss: number;
  boxLoss: number;
  lr: number;
}

const BAR_WIDTH = 20;

/** `1:02:03` or `12:34`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const total = Math.round(seconds);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const mm = String(m).padStart(h > 0 ? 2 : 1, '0');
  return `${h > 0 ? `${h}:` : ''}${mm}:${String(s).padStart(2, '0')}`;
}

/**
 * The progress line: epoch bar, steps per second (smoothed), time left for the whole run, the loss and its
 * parts, the learning rate. On a terminal it redraws one line; elsewhere (a log file, a test) it prints a
 * line about every tenth of an epoch and at the end of each epoch.
 */
export class ProgressBar {
  private secondsPerStep: number | undefined;
  private lastTime: number | undefined;
  private drawn = false;

  constructor(
    private readonly write: (text: string) => void,
    private readonly tty: boolean,
    private readonly now: () => number = () => performance.now() / 1000,
    /** Terminal width: a redrawn line longer than this would wrap and stop redrawing in place. */
    private readonly columns?: number,
  ) {}

  /** Call once when the first step of a stretch starts, so waiting before it does not count. */
  start(): void {
    this.lastTime = this.now();
  }

  /** Records a finished step and redraws. */
  step(state: ProgressState): void {
    const time = this.now();
    if (this.lastTime !== undefined) {
      const elapsed = time - this.lastTime;
      this.secondsPerStep = this.secondsPerStep === undefined ? elapsed : 0.8 * this.secondsPerStep + 0.2 * elapsed;
    }
    this.lastTime = time;
    const line = this.format(state);
    if (this.tty) {
      const width = this.columns !== undefined && this.columns > 20 ? this.columns - 1 : Infinity;
      this.write(`\r\x1b[2K${line.length > width ? line.slice(0, width) : line}`);
      this.drawn = true;
    } else {
      const every = Math.max(1, Math.floor(state.batches / 10));
      if (state.batch === 1 || state.batch % every === 0 || state.batch === state.batches) this.write(`${line}\n`);
    }
  }

  /** Prints a message on its own line (after the bar, on a terminal). */
  message(text: string): void {
    this.endLine();
    this.write(`${text}\n`);
  }

  /** Ends the redrawn line, if any. */
  endLine(): void {
    if (this.tty && this.drawn) this.write('\n');
    this.drawn = false;
  }

  format(state: ProgressState): string {
    const filled = state.batches > 0 ? Math.round((BAR_WIDTH * state.batch) / state.batches) : 0;
    const bar = `[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}]`;
    const rate = this.secondsPerStep === undefined ? '-' : (1 / this.secondsPerStep).toFixed(2);
    const eta = this.secondsPerStep === undefined ? '--:--' : formatDuration(this.secondsPerStep * state.stepsLeft);
    const width = String(state.batches).length;
    return (
      `epoch ${state.epoch}/${state.epochs} ${bar} ${String(state.batch).padStart(width)}/${state.batches} ` +
      `${rate} step/s ETA ${eta} loss ${state.loss.toFixed(4)} (cls ${state.classificationLoss.toFixed(4)} ` +
      `box ${state.boxLoss.toFixed(4)}) lr ${state.lr.toExponential(2)}`
    );
  }
}
