/**
 * The demo page: picks a backend, hands images to the inference worker, and draws what comes back.
 * The network runs once per image; the sliders only refilter the candidates it returned (threshold + NMS).
 */
import './style.css';

import type { BackendName } from '@edet/model';

import {
  CANDIDATE_SCORE_THRESHOLD,
  IOU_THRESHOLD,
  MAX_DETECTIONS,
  MODEL_MANIFEST_PATH,
  SAMPLES,
  SAMPLES_PATH,
  SCORE_THRESHOLD,
  UNTRAINED_MODEL,
  UNTRAINED_PRESET,
  WASM_PATH,
} from './config.js';
import type { BackendInfo, DetectResult, ModelInfo } from './protocol.js';
import { backendPreferences, requestedBackend } from './page/backend-choice.js';
import { DetectorClient, WorkerError } from './page/detector-client.js';
import { renderDetectionList } from './page/detection-list.js';
import { drawDetections } from './page/draw-detections.js';
import { pageElements, showText } from './page/elements.js';
import { wireImageInputs } from './page/image-input.js';
import { BUNDLED, bundledLabel, modelOptions, modelTitle, requestedModel } from './page/model-choice.js';
import { selectDetections } from './page/select-detections.js';
import { requestedThreads } from './page/thread-choice.js';
import { TimingsView } from './page/timings-view.js';
import { Webcam } from './page/webcam.js';
import { setUpLabelling } from './label/label-section.js';
import { setUpTraining } from './train/train-section.js';

const elements = pageElements();
const timings = new TimingsView(elements.timings);
const absolute = (path: string) => new URL(path, document.baseURI).href;

let client: DetectorClient | undefined;
let model: ModelInfo | undefined;
/** The image on screen, kept to redraw and to run again on another backend. */
let image: { bitmap: ImageBitmap; name: string } | undefined;
let result: DetectResult | undefined;
/** Weights the user loaded, sent again when the backend (and so the worker) changes. */
let userWeights: { bytes: ArrayBuffer; name: string } | undefined;
/** The picked model: a published name, or `undefined` for the bundled model (`?model=NAME`). */
let chosenModel = requestedModel(location.search);

// One task at a time (backend start, weights, detection): later clicks wait instead of interleaving.
let queue: Promise<unknown> = Promise.resolve();
function exclusive(task: () => Promise<void>): Promise<void> {
  const next = queue.then(task, task);
  queue = next.catch(() => undefined);
  return next;
}

function setStatus(state: 'busy' | 'ready' | 'error', text: string): void {
  elements.status.dataset.state = state;
  elements.status.textContent = text;
}

function showError(text: string | undefined): void {
  showText(elements.message, text);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function showBackend(backend: BackendInfo): void {
  elements.activeBackend.textContent = backend.active;
  elements.activeBackend.dataset.backend = backend.active;
  elements.backendSelect.value = backend.active;
  const reasons = backend.failures.map((failure) => `${failure.backend}: ${failure.reason}`).join('; ');
  showText(
    elements.backendMessage,
    backend.failures.length > 0 ? `${backend.requested} is not available here (${reasons}). Using ${backend.active} instead.` : undefined,
  );
}

function showModel(info: ModelInfo): void {
  model = info;
  // A named model by its title (Lite0's compoundCoef is its backbone's, not a D variant).
  const variant = info.model === undefined ? `D${info.compoundCoef}` : modelTitle(info.model);
  const size = typeof info.inputSize === 'number' ? `${info.inputSize}×${info.inputSize}` : `${info.inputSize[1]}×${info.inputSize[0]}`;
  elements.modelName.textContent = `${info.name}: ${variant}, ${info.numClasses} classes, ${size} input`;
  elements.modelName.dataset.model = info.model ?? '';
  showText(elements.untrainedNotice, info.trained ? undefined : untrainedNotice(info));
  showText(elements.scopeNotice, info.scope);
}

function untrainedNotice(info: ModelInfo): string {
  if (!info.standIn) return `Untrained weights: ${info.name} says it is not trained, so its detections are meaningless.`;
  if (info.model !== undefined) {
    return (
      `Untrained model: ${modelTitle(info.model)} (${info.model}) built by name, with seeded random weights (seed ${UNTRAINED_PRESET.seed}) ` +
      `for COCO's ${info.numClasses} classes. Its detections are meaningless: load trained weights for it.`
    );
  }
  return (
    `Untrained model: the bundled model could not be loaded, so this is EfficientDet-D${info.compoundCoef} with seeded random ` +
    `weights (seed ${UNTRAINED_MODEL.seed}). Its detections are meaningless, and every score is about 0.01: ` +
    'lower the score threshold to 0.01 to see boxes, or load trained weights.'
  );
}

/** Starts a fresh worker on `chosen` (or the first backend that works) and runs the current image again. */
function startBackend(chosen: BackendName | undefined): Promise<void> {
  return exclusive(async () => {
    setStatus('busy', `starting ${chosen ?? 'the fastest backend'}…`);
    elements.activeBackend.textContent = 'starting…';
    elements.activeBackend.dataset.backend = '';
    client?.terminate();
    client = new DetectorClient();
    timings.reset();
    try {
      const ready = await client.init(
        backendPreferences(chosen),
        absolute(WASM_PATH),
        absolute(MODEL_MANIFEST_PATH),
        chosenModel,
        requestedThreads(location.search),
      );
      showBackend(ready.backend);
      elements.modelSelect.querySelector<HTMLOptionElement>(`option[value="${BUNDLED}"]`)!.textContent = bundledLabel(ready.bundled);
      elements.modelSelect.value = chosenModel ?? BUNDLED;
      showModel(ready.model);
      showText(elements.modelNotice, ready.notice);
    } catch (error) {
      setStatus('error', 'no backend');
      showError(messageOf(error));
      return;
    }
    if (userWeights !== undefined) {
      try {
        showWeightsModel(await client.loadWeights(userWeights.bytes, userWeights.name));
      } catch (error) {
        showError(`Could not load ${userWeights.name} again: ${messageOf(error)}. Using the bundled model.`);
        userWeights = undefined;
      }
    }
    setStatus('ready', 'ready');
    if (image !== undefined) await detect();
  });
}

/** Shows a model built for loaded weights; weights that name their model put the picker on it. */
function showWeightsModel(info: ModelInfo): void {
  showModel(info);
  if (info.model !== undefined) elements.modelSelect.value = info.model;
}

/** Replaces the model with the picked one (`undefined`: the bundled model) and runs the current image again. */
function chooseModel(name: string | undefined): Promise<void> {
  return exclusive(async () => {
    if (client === undefined) return;
    setStatus('busy', `loading ${name ?? 'the bundled model'}…`);
    try {
      const chosen = await client.chooseModel(name);
      chosenModel = name;
      // The picked model replaces any weights loaded before.
      userWeights = undefined;
      showModel(chosen.model);
      showError(undefined);
      showText(elements.modelNotice, chosen.notice);
    } catch (error) {
      elements.modelSelect.value = chosenModel ?? BUNDLED;
      showError(`Could not build ${name ?? 'the bundled model'}: ${messageOf(error)}. The previous model is still in use.`);
      setStatus('ready', 'ready');
      return;
    }
    setStatus('ready', 'ready');
    if (image !== undefined) await detect();
  });
}

/** Runs the network on the current image and redraws. Call inside `exclusive`. */
async function detect(): Promise<void> {
  if (client === undefined || image === undefined) return;
  setStatus('busy', `detecting on ${elements.activeBackend.textContent}…`);
  try {
    // The worker gets its own copy: a transferred bitmap is gone from the page.
    result = await client.detect(await createImageBitmap(image.bitmap));
    timings.add(result);
    redraw();
    setStatus('ready', 'ready');
  } catch (error) {
    setStatus('error', 'detection failed');
    showError(`detection failed: ${messageOf(error)}`);
  }
}

/** Applies the sliders to the last candidates and draws: no network run. */
function redraw(): void {
  if (image === undefined || result === undefined || model === undefined) return;
  const start = performance.now();
  const detections = selectDetections(result.candidates, result.letterbox, {
    scoreThreshold: Number(elements.scoreThreshold.value),
    iouThreshold: Number(elements.iouThreshold.value),
    maxDetections: MAX_DETECTIONS,
  });
  drawDetections(elements.canvas, image.bitmap, detections, model.labels);
  renderDetectionList(elements.detections, detections, model.labels);
  const selectionMs = performance.now() - start;
  const { candidates } = result;
  const count = candidates.scores.length;
  const lowest = count > 0 ? candidates.scores[count - 1] : CANDIDATE_SCORE_THRESHOLD;
  // Below the lowest kept candidate, a capped list may miss boxes that model.detect would report.
  const capNote = candidates.capped ? ` (the best ${count} only, down to score ${lowest.toFixed(3)})` : '';
  elements.selectionSummary.textContent =
    `${detections.length} detection${detections.length === 1 ? '' : 's'} from ${count} candidates${capNote}; ` +
    `threshold + NMS + drawing in the page: ${selectionMs.toFixed(1)} ms.`;
  Object.assign(elements.selectionSummary.dataset, { candidates: String(count), capped: String(candidates.capped), lowestScore: String(lowest) });
}

/** Decodes an image file and detects on it. */
function openImage(blob: Blob, name: string): Promise<void> {
  return exclusive(async () => {
    showError(undefined);
    let bitmap: ImageBitmap;
    try {
      // No colour conversion: the model sees the file's own pixel values, as the Node CLI does.
      bitmap = await createImageBitmap(blob, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
    } catch {
      showError(`${name} is not an image this browser can decode`);
      return;
    }
    setImage(bitmap, name);
    await detect();
  });
}

function setImage(bitmap: ImageBitmap, name: string): void {
  image?.bitmap.close();
  image = { bitmap, name };
  elements.canvas.dataset.image = name;
}

async function loadWeights(file: File): Promise<void> {
  const bytes = await file.arrayBuffer();
  return exclusive(async () => {
    if (client === undefined) return;
    setStatus('busy', `loading ${file.name}…`);
    try {
      showWeightsModel(await client.loadWeights(bytes, file.name));
      userWeights = { bytes, name: file.name };
      showError(undefined);
      showText(elements.modelNotice, `loaded ${file.name}`);
    } catch (error) {
      const known = error instanceof WorkerError && (error.name === 'StateDictError' || error.name === 'FileFormatError');
      showError(`Could not load ${file.name}${known ? '' : ` (${error instanceof Error ? error.name : 'error'})`}: ${messageOf(error)}. The previous weights are still in use.`);
      setStatus('ready', 'ready');
      return;
    }
    setStatus('ready', 'ready');
    await detect();
  });
}

function setUpSliders(): void {
  const sliders = [
    [elements.scoreThreshold, elements.scoreValue, SCORE_THRESHOLD, 'score'],
    [elements.iouThreshold, elements.iouValue, IOU_THRESHOLD, 'iou'],
  ] as const;
  const query = new URLSearchParams(location.search);
  for (const [slider, output, range, parameter] of sliders) {
    Object.assign(slider, { min: String(range.min), max: String(range.max), step: String(range.step) });
    slider.value = query.get(parameter) ?? String(range.initial);
    output.value = Number(slider.value).toFixed(2);
    slider.addEventListener('input', () => {
      output.value = Number(slider.value).toFixed(2);
      redraw();
    });
  }
}

function setUpModelPicker(): void {
  const options = modelOptions().map(({ value, label }) => {
    const option = document.createElement('option');
    option.value = value;
    option.textContent = label;
    return option;
  });
  elements.modelSelect.replaceChildren(...options);
  elements.modelSelect.value = chosenModel ?? BUNDLED;
  elements.modelSelect.addEventListener('change', () => {
    const name = elements.modelSelect.value === BUNDLED ? undefined : elements.modelSelect.value;
    const url = new URL(location.href);
    if (name === undefined) url.searchParams.delete('model');
    else url.searchParams.set('model', name);
    history.replaceState(null, '', url);
    void chooseModel(name);
  });
}

function setUpSamples(): HTMLButtonElement[] {
  const buttons = SAMPLES.map((sample) => {
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'sample-button';
    button.dataset.sample = sample.file;
    button.textContent = sample.title;
    return button;
  });
  elements.samples.replaceChildren(...buttons);
  return buttons;
}

function setUpWebcam(): void {
  const webcam = new Webcam(elements.video, (frame) =>
    exclusive(async () => {
      if (!webcam.active) return frame.close();
      setImage(frame, 'webcam');
      await detect();
    }),
  );
  elements.webcamToggle.addEventListener('click', async () => {
    if (webcam.active) {
      webcam.stop();
      elements.webcamToggle.textContent = 'Start webcam';
      return;
    }
    try {
      await webcam.start();
      elements.webcamToggle.textContent = 'Stop webcam';
      showError(undefined);
    } catch (error) {
      showError(`cannot start the webcam: ${messageOf(error)}`);
    }
  });
}

setUpSliders();
setUpModelPicker();
const sampleButtons = setUpSamples();
setUpWebcam();
setUpLabelling(setUpTraining(elements.weightsInput));
wireImageInputs({
  fileInput: elements.imageInput,
  dropZone: elements.dropZone,
  sampleButtons,
  samplesUrl: absolute(SAMPLES_PATH),
  onImage: (blob, name) => void openImage(blob, name),
  onError: showError,
});
elements.weightsInput.addEventListener('change', () => {
  const file = elements.weightsInput.files?.[0];
  elements.weightsInput.value = '';
  if (file) void loadWeights(file);
});
elements.backendSelect.addEventListener('change', () => {
  const chosen = requestedBackend(`?backend=${elements.backendSelect.value}`);
  const url = new URL(location.href);
  url.searchParams.set('backend', elements.backendSelect.value);
  history.replaceState(null, '', url);
  void startBackend(chosen);
});

const chosen = requestedBackend(location.search);
if (chosen !== undefined) elements.backendSelect.value = chosen;
void startBackend(chosen);
// Something to look at straight away: the first sample, or `?sample=FILE` (`?sample=none` for nothing).
const firstSample = new URLSearchParams(location.search).get('sample') ?? SAMPLES[0].file;
sampleButtons.find((button) => button.dataset.sample === firstSample)?.click();
