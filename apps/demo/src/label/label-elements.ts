import { byId } from '../page/elements.js';

/** The labelling section's elements (see `index.html`), looked up once by id (`byId` throws on a missing one). */
export function labelElements() {
  return {
    files: byId('label-files', HTMLInputElement),
    previous: byId('label-previous', HTMLButtonElement),
    counter: byId('label-counter', HTMLElement),
    next: byId('label-next', HTMLButtonElement),
    className: byId('label-class', HTMLInputElement),
    classes: byId('label-classes', HTMLDataListElement),
    remove: byId('label-delete', HTMLButtonElement),
    canvas: byId('label-canvas', HTMLCanvasElement),
    error: byId('label-error', HTMLElement),
    summary: byId('label-summary', HTMLElement),
    exportCoco: byId('label-export', HTMLButtonElement),
    train: byId('label-train', HTMLButtonElement),
  };
}
