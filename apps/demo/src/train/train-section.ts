/**
 * The page's Train section: reads the chosen COCO files, starts a training worker (`train-worker.ts`) with
 * the settings, draws the losses and validation mAP as they come, pauses and stops it, offers to resume a
 * run that a closed tab left in IndexedDB (`resume-offer.ts`), and offers the weights at the end (download,
 * or load them into the detection path through the page's weights input).
 */
import { type BackendName, checkpointGeometry, inputShape, presetConfig } from '@edet/model';
import { parseSafetensors } from '@edet/safetensors';

import { MODEL_MANIFEST_PATH, WASM_PATH } from '../config.js';
import { BUNDLED, modelOptions } from '../page/model-choice.js';
import { requestedThreads } from '../page/thread-choice.js';
import { drawLossChart, type LossPoint, type MapPoint } from './loss-chart.js';
import { type UploadedDataset, baseName } from './coco-upload.js';
import { readUpload } from './read-upload.js';
import { offerResume } from './resume-offer.js';
import type { TrainReply, TrainRequest, TrainSettings, ValidationReport } from './train-protocol.js';
import { trainElements } from './train-elements.js';
import { type TrainNumbers, checkTrainNumbers, epochsForSteps, stepsForEpochs } from './train-settings.js';

/** The browser's natural model: small, and built for it. */
const DEFAULT_MODEL = 'tf_efficientdet_lite0';
/** Seeds the validation split, the initial weights and the augmentation. */
const SEED = 42;

const absolute = (path: string) => new URL(path, document.baseURI).href;

/** The bundled model's weights URL, from its manifest (`weights`, relative to it). */
async function bundledWeightsUrl(): Promise<string> {
  const manifestUrl = absolute(MODEL_MANIFEST_PATH);
  const response = await fetch(manifestUrl);
  if (!response.ok) throw new Error(`the bundled model is not deployed (${MODEL_MANIFEST_PATH}: HTTP ${response.status})`);
  const { weights } = (await response.json()) as { weights: string };
  return new URL(weights, manifestUrl).href;
}

/** What the Train section offers the rest of the page. */
export interface TrainingSection {
  /** Reads these files as if they had been chosen in the section's file input: one COCO `.json` and its images. */
  useFiles(files: readonly File[]): void;
}

/** Wires the Train section; `weightsInput` is the detection path's weights file input ("use for detection"). */
export function setUpTraining(weightsInput: HTMLInputElement): TrainingSection {
  const elements = trainElements();
  let files: File[] = [];
  /** `files` with zips expanded (what the dataset was read from). */
  let uploaded: File[] = [];
  let dataset: UploadedDataset | undefined;
  let worker: Worker | undefined;
  let weights: File | undefined;
  /** The safetensors file to start from, when one was chosen. */
  let startWeights: File | undefined;

  const setStatus = (state: 'idle' | 'running' | 'paused' | 'done' | 'error', text: string) => {
    elements.status.dataset.state = state;
    elements.status.textContent = text;
  };
  const showError = (text: string | undefined) => {
    elements.error.hidden = text === undefined;
    elements.error.textContent = text ?? '';
  };

  /** Reads the chosen files again with the current validation fraction. */
  async function readFiles(): Promise<void> {
    dataset = undefined;
    elements.start.disabled = true;
    elements.summary.textContent = '';
    if (files.length === 0) return;
    try {
      const read = await readUpload(files, Number(elements.validation.value), SEED);
      dataset = read.dataset;
      uploaded = read.files;
      showError(undefined);
      const { train, validation, annotations, classNames } = dataset;
      elements.summary.textContent =
        `${read.format === 'coco' ? 'COCO' : 'Pascal VOC'}: ${dataset.images} images (${train.length} training, ${validation.length} validation), ${annotations} annotations, ` +
        `${classNames.length} classes: ${classNames.join(', ')}`;
      Object.assign(elements.summary.dataset, { images: String(dataset.images), annotations: String(annotations), classes: String(classNames.length) });
      elements.start.disabled = worker !== undefined;
      showEpochs();
    } catch (error) {
      showError(error instanceof Error ? error.message : String(error));
    }
  }

  /** Shows the epochs the steps reach into (none before a dataset is read). */
  function showEpochs(): void {
    const epochs = dataset === undefined ? 0 : epochsForSteps(Number(elements.steps.value), dataset.train.length, Number(elements.batch.value));
    elements.epochs.value = epochs > 0 ? String(epochs) : '';
  }

  /** The epochs field sets the steps: that many whole epochs. */
  function onEpochsChange(): void {
    const steps = dataset === undefined ? 0 : stepsForEpochs(Number(elements.epochs.value), dataset.train.length, Number(elements.batch.value));
    if (Number.isInteger(steps) && steps > 0) elements.steps.value = String(steps);
  }

  /**
   * Takes a safetensors file to start from: its header is checked here, and the model and size it records
   * (metadata `model`, `input_size`, as the page and `edet train` write them) are selected.
   */
  async function chooseStartWeights(file: File): Promise<void> {
    try {
      const parsed = parseSafetensors(new Uint8Array(await file.arrayBuffer()), { source: file.name });
      const { model, inputSize } = checkpointGeometry(parsed.header.metadata, file.name);
      if (model !== undefined) {
        elements.model.value = model;
        onModelChange();
      }
      if (inputSize !== undefined) elements.size.value = String(inputShape(inputSize)[0]);
      startWeights = file;
      elements.weightsName.textContent = `starting from ${file.name}${model === undefined ? ' (choose the model it was trained as)' : ` (${model})`}`;
      elements.weightsClear.hidden = false;
      showError(undefined);
    } catch (error) {
      showError(error instanceof Error ? error.message : String(error));
    }
  }

  function clearStartWeights(): void {
    startWeights = undefined;
    elements.weightsName.textContent = '';
    elements.weightsClear.hidden = true;
  }

  function onModelChange(): void {
    const name = elements.model.value === BUNDLED ? 'efficientdet-d0' : elements.model.value;
    const size = presetConfig(name).inputSize ?? 512;
    elements.size.value = String(typeof size === 'number' ? size : size[0]);
  }

  async function start(): Promise<void> {
    if (dataset === undefined || worker !== undefined) return;
    const bundled = elements.model.value === BUNDLED;
    let initialWeightsUrl: string | undefined;
    let numbers: TrainNumbers;
    try {
      numbers = checkTrainNumbers({
        inputSize: Number(elements.size.value),
        steps: Number(elements.steps.value),
        batchSize: Number(elements.batch.value),
        learningRate: Number(elements.learningRate.value),
      });
      initialWeightsUrl = bundled && startWeights === undefined ? await bundledWeightsUrl() : undefined;
    } catch (error) {
      showError(error instanceof Error ? error.message : String(error));
      return;
    }
    const settings: TrainSettings = {
      model: bundled ? 'efficientdet-d0' : elements.model.value,
      initialWeightsUrl,
      initialWeightsFile: startWeights,
      ...numbers,
      classNames: dataset.classNames,
      seed: SEED,
      augment: elements.augment.checked,
      backend: elements.backend.value as BackendName,
      threads: requestedThreads(location.search),
    };
    const byName = new Map(uploaded.map((file) => [baseName(file.name), file]));
    const images = Object.fromEntries([...dataset.train, ...dataset.validation].map((sample) => [sample.file, byName.get(sample.file)!]));
    // The new run replaces any stored one.
    resumeOffer.hide();
    launch(settings, { type: 'start', wasmPaths: absolute(WASM_PATH), settings, samples: dataset.train, validation: dataset.validation, images });
  }

  /** Starts a training worker on `request` (a new run, or the stored one resumed) and follows it. */
  function launch(settings: TrainSettings, request: TrainRequest): void {
    let points: LossPoint[] = [];
    let seconds: number[] = [];
    let maps: MapPoint[] = [];
    let validationText = '';
    const draw = () => {
      elements.chart.dataset.losses = JSON.stringify(points.map((point) => point.loss));
      elements.chart.dataset.seconds = JSON.stringify(seconds);
      elements.chart.dataset.maps = JSON.stringify(maps.map((point) => point.map));
      drawLossChart(elements.chart, points, settings.steps, maps);
    };
    const showValidation = (report: ValidationReport) => {
      const map = report.map === undefined ? '' : `, mAP ${report.map.toFixed(3)}, mAP@.5 ${report.map50!.toFixed(3)}`;
      Object.assign(elements.status.dataset, { valLoss: String(report.valLoss), valSeconds: String(report.seconds) });
      if (report.map !== undefined) maps.push({ step: report.step, map: report.map });
      validationText = `; validation (${report.images} images): loss ${report.valLoss.toFixed(4)}${map}`;
    };
    draw();
    elements.checkpoint.textContent = '';
    delete elements.checkpoint.dataset.step;
    delete elements.checkpoint.dataset.failed;
    elements.download.hidden = true;
    elements.tryIt.hidden = true;
    showError(undefined);
    setStatus('running', 'starting the training worker…');
    elements.start.disabled = true;
    elements.stop.disabled = false;
    elements.pause.disabled = false;
    elements.pause.textContent = 'Pause';

    // This exact form (a `new URL` literal inside `new Worker`) is what Vite bundles as a worker.
    const current = new Worker(new URL('./train-worker.ts', import.meta.url), { type: 'module', name: 'edet-training' });
    worker = current;
    const finish = () => {
      current.terminate();
      worker = undefined;
      elements.stop.disabled = true;
      elements.pause.disabled = true;
      elements.start.disabled = dataset === undefined;
    };
    current.addEventListener('error', (event) => {
      setStatus('error', 'training failed');
      showError(`the training worker failed: ${event.message}`);
      finish();
    });
    current.addEventListener('message', (event: MessageEvent<TrainReply>) => {
      const reply = event.data;
      if (reply.type === 'started') {
        const threads = reply.threads === undefined ? '' : `, ${reply.threads} thread${reply.threads === 1 ? '' : 's'}`;
        setStatus('running', `training on ${reply.backend}${threads}…`);
        Object.assign(elements.status.dataset, { backend: reply.backend, threads: String(reply.threads ?? '') });
        if (reply.notice) elements.summary.textContent += ` (${reply.notice})`;
      } else if (reply.type === 'resumed') {
        // The chart as it was at the checkpoint; the step reports go on from there.
        points = [...reply.steps];
        seconds = reply.steps.map((step) => step.seconds);
        maps = [];
        reply.validations.forEach(showValidation);
        draw();
        // The form shows the resumed run's numbers.
        elements.size.value = String(settings.inputSize);
        elements.steps.value = String(settings.steps);
        elements.batch.value = String(settings.batchSize);
        elements.learningRate.value = String(settings.learningRate);
        elements.augment.checked = settings.augment;
        setStatus('running', `resumed at step ${reply.step} / ${settings.steps} (epoch ${reply.epoch})…`);
        Object.assign(elements.status.dataset, { step: String(reply.step), resumedStep: String(reply.step), resumedSha256: reply.sha256 });
      } else if (reply.type === 'checkpoint') {
        elements.checkpoint.textContent =
          `checkpoint saved in this browser after epoch ${reply.epoch}, step ${reply.step} (${reply.seconds.toFixed(1)} s): ` +
          'a closed or crashed tab can resume from here';
        Object.assign(elements.checkpoint.dataset, { step: String(reply.step), sha256: reply.sha256, seconds: String(reply.seconds) });
      } else if (reply.type === 'checkpoint-failed') {
        elements.checkpoint.textContent = `the checkpoint after step ${reply.step} could not be saved (${reply.message}); training goes on`;
        elements.checkpoint.dataset.failed = String(reply.step);
      } else if (reply.type === 'paused') {
        setStatus(reply.paused ? 'paused' : 'running', `${reply.paused ? 'paused after' : 'going on from'} step ${reply.step} / ${settings.steps}`);
        elements.status.dataset.step = String(reply.step);
      } else if (reply.type === 'step') {
        points.push(reply);
        seconds.push(reply.seconds);
        draw();
        setStatus('running', `step ${reply.step} / ${reply.steps}: loss ${reply.loss.toFixed(4)} (class ${reply.classificationLoss.toFixed(4)}, box ${reply.boxLoss.toFixed(4)}), ${reply.seconds.toFixed(2)} s/step`);
        elements.status.dataset.step = String(reply.step);
      } else if (reply.type === 'validated') {
        showValidation(reply);
        draw();
      } else if (reply.type === 'done') {
        const name = `${settings.model}-${settings.inputSize}-${reply.steps}steps.safetensors`;
        weights = new File([reply.weights], name, { type: 'application/octet-stream' });
        if (elements.download.href) URL.revokeObjectURL(elements.download.href);
        elements.download.href = URL.createObjectURL(weights);
        elements.download.download = name;
        elements.download.hidden = false;
        elements.tryIt.hidden = false;
        const how = reply.stopped === 'interrupt' ? 'stopped' : 'done';
        setStatus('done', `${how} after ${reply.steps} steps${validationText}; ${reply.tensors} tensors left in the worker`);
        elements.status.dataset.tensors = String(reply.tensors);
        if (elements.checkpoint.dataset.step !== undefined) elements.checkpoint.textContent = 'the run is over: its checkpoint was removed from this browser';
        finish();
      } else {
        setStatus('error', 'training failed');
        showError(`training failed (${reply.name}): ${reply.message}`);
        finish();
      }
    });
    current.postMessage(request);
  }

  const choose = (input: HTMLInputElement) => {
    files = [...(input.files ?? [])];
    input.value = '';
    void readFiles();
  };
  elements.files.addEventListener('change', () => choose(elements.files));
  elements.folder.addEventListener('change', () => choose(elements.folder));
  elements.validation.addEventListener('change', () => void readFiles());
  elements.model.addEventListener('change', onModelChange);
  elements.weights.addEventListener('change', () => {
    const file = elements.weights.files?.[0];
    elements.weights.value = '';
    if (file !== undefined) void chooseStartWeights(file);
  });
  elements.weightsClear.addEventListener('click', clearStartWeights);
  elements.epochs.addEventListener('input', onEpochsChange);
  elements.steps.addEventListener('input', showEpochs);
  elements.batch.addEventListener('input', showEpochs);
  elements.start.addEventListener('click', () => void start());
  elements.stop.addEventListener('click', () => worker?.postMessage({ type: 'stop' } satisfies TrainRequest));
  elements.pause.addEventListener('click', () => {
    if (worker === undefined) return;
    // The button flips at once; the status says "paused" once the worker holds after the step in progress.
    const paused = elements.pause.textContent === 'Pause';
    elements.pause.textContent = paused ? 'Resume' : 'Pause';
    worker.postMessage({ type: 'pause', paused } satisfies TrainRequest);
  });
  const resumeOffer = offerResume(({ run }) => {
    if (worker === undefined) launch(run.settings, { type: 'resume', wasmPaths: absolute(WASM_PATH) });
  });
  elements.tryIt.addEventListener('click', () => {
    if (weights === undefined) return;
    // The detection path's own weights input: the file's metadata names the model, its size and classes.
    const transfer = new DataTransfer();
    transfer.items.add(weights);
    weightsInput.files = transfer.files;
    weightsInput.dispatchEvent(new Event('change'));
  });
  for (const { value, label } of modelOptions()) {
    // The bundled model starts from its weights; a published name from seeded ones (or a chosen file).
    elements.model.add(new Option(value === BUNDLED ? 'bundled EfficientDet-D0 BCCD' : label, value));
  }
  elements.model.value = DEFAULT_MODEL;
  onModelChange();
  setStatus('idle', 'choose the images with their COCO .json or VOC .xml files');
  return {
    useFiles: (chosen) => {
      files = [...chosen];
      void readFiles();
    },
  };
}
