import { byId } from '../page/elements.js';

/** The Train section's elements (see `index.html`), looked up once by id (`byId` throws on a missing one). */
export function trainElements() {
  return {
    files: byId('train-files', HTMLInputElement),
    folder: byId('train-folder', HTMLInputElement),
    summary: byId('train-summary', HTMLElement),
    error: byId('train-error', HTMLElement),
    model: byId('train-model', HTMLSelectElement),
    backend: byId('train-backend', HTMLSelectElement),
    weights: byId('train-weights', HTMLInputElement),
    weightsName: byId('train-weights-name', HTMLElement),
    weightsClear: byId('train-weights-clear', HTMLButtonElement),
    size: byId('train-size', HTMLInputElement),
    steps: byId('train-steps', HTMLInputElement),
    epochs: byId('train-epochs', HTMLInputElement),
    augment: byId('train-augment', HTMLInputElement),
    batch: byId('train-batch', HTMLInputElement),
    learningRate: byId('train-lr', HTMLInputElement),
    validation: byId('train-validation', HTMLInputElement),
    start: byId('train-start', HTMLButtonElement),
    stop: byId('train-stop', HTMLButtonElement),
    pause: byId('train-pause', HTMLButtonElement),
    checkpoint: byId('train-checkpoint', HTMLElement),
    chart: byId('train-chart', HTMLCanvasElement),
    status: byId('train-status', HTMLElement),
    download: byId('train-download', HTMLAnchorElement),
    tryIt: byId('train-try', HTMLButtonElement),
  };
}
