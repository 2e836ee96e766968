import type { DetectResult, StageTimings } from '../protocol.js';

/**
 * Keeps the stage timings of one backend's runs and shows the first (warm-up) run apart from the later
 * ones (last and median), as benchmarks should: the first run compiles kernels and shaders. The caption
 * names what ran the network: `network 180 ms (wasm, 2 threads)`, for the last run.
 */
export class TimingsView {
  private first: StageTimings | undefined;
  private later: StageTimings[] = [];

  constructor(private readonly table: HTMLTableElement) {}

  /** Forgets every run (a new backend starts warming up again). */
  reset(): void {
    this.first = undefined;
    this.later = [];
    this.render(0, undefined);
    this.table.createCaption().textContent = '';
    delete this.table.dataset.backend;
    delete this.table.dataset.threads;
  }

  add(result: DetectResult): void {
    if (result.run === 1) this.first = result.timings;
    else this.later.push(result.timings);
    this.render(result.run, result.tensors);
    this.table.createCaption().textContent = `network ${formatMs(result.timings.networkMs)} (${ranOn(result)})`;
    this.table.dataset.backend = result.backend;
    if (result.threads === undefined) delete this.table.dataset.threads;
    else this.table.dataset.threads = String(result.threads);
  }

  private render(runs: number, tensors: number | undefined): void {
    this.table.dataset.runs = String(runs);
    if (tensors !== undefined) this.table.dataset.tensors = String(tensors);
    const rows: [string, StageTimings | undefined][] = [
      ['first run (warm-up)', this.first],
      [`last run`, this.later.at(-1)],
      [`median of ${this.later.length} later run${this.later.length === 1 ? '' : 's'}`, median(this.later)],
    ];
    const body = this.table.tBodies[0];
    body.replaceChildren(
      ...rows.map(([name, timings]) => {
        const row = document.createElement('tr');
        const values = timings ? [timings.preprocessMs, timings.networkMs, timings.postprocessMs, timings.totalMs].map(formatMs) : ['–', '–', '–', '–'];
        for (const text of [name, ...values]) {
          const cell = document.createElement('td');
          cell.textContent = text;
          row.append(cell);
        }
        return row;
      }),
    );
  }
}

/** `wasm, 2 threads`, `wasm, 1 thread`, or the backend's name alone. */
function ranOn(result: DetectResult): string {
  if (result.threads === undefined) return result.backend;
  return `${result.backend}, ${result.threads} thread${result.threads === 1 ? '' : 's'}`;
}

function formatMs(ms: number): string {
  return ms >= 100 ? `${Math.round(ms)} ms` : `${ms.toFixed(1)} ms`;
}

/** Stage by stage median (each column on its own). */
function median(runs: readonly StageTimings[]): StageTimings | undefined {
  if (runs.length === 0) return undefined;
  const of = (key: keyof StageTimings) => {
    const sorted = runs.map((run) => run[key]).sort((a, b) => a - b);
    const middle = sorted.length >> 1;
    return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
  };
  return { preprocessMs: of('preprocessMs'), networkMs: of('networkMs'), postprocessMs: of('postprocessMs'), totalMs: of('totalMs') };
}
