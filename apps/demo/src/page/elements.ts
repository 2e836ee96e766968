/** The element of `index.html` with this id and type; a missing one is a bug, so it throws. */
export function byId<T extends HTMLElement>(id: string, type: { new (): T }): T {
  const element = document.getElementById(id);
  if (!(element instanceof type)) throw new Error(`index.html has no <${type.name}> #${id}`);
  return element;
}

/** The page's elements, looked up once by id (see `index.html`). */
export function pageElements() {
  return {
    backendSelect: byId('backend-select', HTMLSelectElement),
    activeBackend: byId('active-backend', HTMLElement),
    status: byId('status', HTMLElement),
    backendMessage: byId('backend-message', HTMLElement),
    modelSelect: byId('model-select', HTMLSelectElement),
    modelName: byId('model-name', HTMLElement),
    weightsInput: byId('weights-input', HTMLInputElement),
    untrainedNotice: byId('untrained-notice', HTMLElement),
    scopeNotice: byId('scope-notice', HTMLElement),
    modelNotice: byId('model-notice', HTMLElement),
    message: byId('message', HTMLElement),
    imageInput: byId('image-input', HTMLInputElement),
    samples: byId('samples', HTMLElement),
    webcamToggle: byId('webcam-toggle', HTMLButtonElement),
    scoreThreshold: byId('score-threshold', HTMLInputElement),
    scoreValue: byId('score-value', HTMLOutputElement),
    iouThreshold: byId('iou-threshold', HTMLInputElement),
    iouValue: byId('iou-value', HTMLOutputElement),
    dropZone: byId('drop-zone', HTMLElement),
    canvas: byId('result-canvas', HTMLCanvasElement),
    video: byId('webcam-video', HTMLVideoElement),
    timings: byId('timings', HTMLTableElement),
    selectionSummary: byId('selection-summary', HTMLElement),
    detections: byId('detections', HTMLTableSectionElement),
  };
}

/** What `pageElements` returns. */
export type PageElements = ReturnType<typeof pageElements>;

/** Shows `element` with `text`, or hides it when `text` is empty. */
export function showText(element: HTMLElement, text: string | undefined): void {
  element.textContent = text ?? '';
  element.hidden = !text;
}
