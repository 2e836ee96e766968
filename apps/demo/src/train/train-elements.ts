/** The Train section's elements (see `index.html`), looked up once by id; a missing one is a bug, so it throws. */
export function trainElements() {
  const byId = <T extends HTMLElement>(id: string, type: { new (): T }): T => {
    const element = document.getElementById(id);
    if (!(element instanceof type)) throw new Error(`index.html has no <${type.name}> #${id}`);
    return element;
  };
  return {
    files: byId('train-files', HTMLInputElement),
    folder: byId('train-folder', HTMLInputElement),
    summary: byId('train-summary', HTMLElement),
    error: byId('train-error', HTMLElement),
    model: byId('train-model', HTMLSelectElement),
    size: byId('train-size', HTMLInputElement),
    steps: byId('train-steps', HTMLInputElement),
    batch: byId('train-batch', HTMLInputElement),
    learningRate: byId('train-lr', HTMLInputElement),
    validation: byId('train-validation', HTMLInputElement),
    start: byId('train-start', HTMLButtonElement),
    stop: byId('train-stop', HTMLButtonElement),
    chart: byId('train-chart', HTMLCanvasElement),
    status: byId('train-status', HTMLElement),
    download: byId('train-download', HTMLAnchorElement),
    tryIt: byId('train-try', HTMLButtonElement),
  };
}
