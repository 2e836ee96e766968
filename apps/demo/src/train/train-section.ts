/**
 * The page's Train section: reads the chosen COCO files, starts a training worker (`train-worker.ts`) with
 * the settings, draws the losses as they come, and offers the weights at the end (download, or load them
 * into the detection path through the page's weights input).
 */
import { presetConfig } from '@edet/model';

import { MODEL_MANIFEST_PATH, WASM_PATH } from '../config.js';
import { drawLossChart, type LossPoint } from './loss-chart.js';
import { TrainDataError, type UploadedDataset, baseName, readCocoUpload } from './coco-upload.js';
import type { TrainReply, TrainRequest, TrainSettings } from './train-protocol.js';
import { trainElements } from './train-elements.js';
import { type TrainNumbers, checkTrainNumbers } from './train-settings.js';

/** The bundled model's option in the model list: its D0 weights are the starting point. */
const BUNDLED = 'bundled';
/** Seeds the validation split, the initial weights and the augmentation. */
const SEED = 42;
/** The image files the section reads (by name). */
export const IMAGE_FILE = /\.(jpe?g|png|gif|bmp|webp)$/i;

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
  let dataset: UploadedDataset | undefined;
  let worker: Worker | undefined;
  let weights: File | undefined;

  const setStatus = (state: 'idle' | 'running' | 'done' | 'error', text: string) => {
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
    const jsons = files.filter((file) => file.name.toLowerCase().endsWith('.json'));
    const images = files.filter((file) => IMAGE_FILE.test(file.name));
    try {
      if (jsons.length !== 1) throw new TrainDataError('json', `json: expected exactly one COCO .json file among the chosen files, found ${jsons.length}`);
      dataset = readCocoUpload(await jsons[0].text(), jsons[0].name, images.map((file) => file.name), Number(elements.validation.value), SEED);
      showError(undefined);
      const { train, validation, annotations, classNames } = dataset;
      elements.summary.textContent =
        `${dataset.images} images (${train.length} training, ${validation.length} validation), ${annotations} annotations, ` +
        `${classNames.length} classes: ${classNames.join(', ')}`;
      Object.assign(elements.summary.dataset, { images: String(dataset.images), annotations: String(annotations), classes: String(classNames.length) });
      elements.start.disabled = worker !== undefined;
    } catch (error) {
      showError(error instanceof Error ? error.message : String(error));
    }
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
      initialWeightsUrl = bundled ? await bundledWeightsUrl() : undefined;
    } catch (error) {
      showError(error instanceof Error ? error.message : String(error));
      return;
    }
    const settings: TrainSettings = {
      model: bundled ? 'efficientdet-d0' : elements.model.value,
      initialWeightsUrl,
      ...numbers,
      classNames: dataset.classNames,
      seed: SEED,
    };
    const byName = new Map(files.map((file) => [baseName(file.name), file]));
    const images = Object.fromEntries([...dataset.train, ...dataset.validation].map((sample) => [sample.file, byName.get(sample.file)!]));
    const points: LossPoint[] = [];
    const seconds: number[] = [];
    let validationText = '';
    elements.chart.dataset.losses = '[]';
    drawLossChart(elements.chart, points, settings.steps);
    elements.download.hidden = true;
    elements.tryIt.hidden = true;
    showError(undefined);
    setStatus('running', 'starting the training worker…');
    elements.start.disabled = true;
    elements.stop.disabled = false;

    // This exact form (a `new URL` literal inside `new Worker`) is what Vite bundles as a worker.
    const current = new Worker(new URL('./train-worker.ts', import.meta.url), { type: 'module', name: 'edet-training' });
    worker = current;
    const finish = () => {
      current.terminate();
      worker = undefined;
      elements.stop.disabled = true;
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
      } else if (reply.type === 'step') {
        points.push(reply);
        elements.chart.dataset.losses = JSON.stringify(points.map((point) => point.loss));
        seconds.push(reply.seconds);
        elements.chart.dataset.seconds = JSON.stringify(seconds);
        drawLossChart(elements.chart, points, reply.steps);
        setStatus('running', `step ${reply.step} / ${reply.steps}: loss ${reply.loss.toFixed(4)} (class ${reply.classificationLoss.toFixed(4)}, box ${reply.boxLoss.toFixed(4)}), ${reply.seconds.toFixed(2)} s/step`);
        elements.status.dataset.step = String(reply.step);
      } else if (reply.type === 'validated') {
        const map = reply.map === undefined ? '' : `, mAP ${reply.map.toFixed(3)}, mAP@.5 ${reply.map50!.toFixed(3)}`;
        elements.status.dataset.valLoss = String(reply.valLoss);
        validationText = `; validation (${reply.images} images): loss ${reply.valLoss.toFixed(4)}${map}`;
      } else if (reply.type === 'done') {
        const name = `${settings.model}-${settings.inputSize}-${reply.steps}steps.safetensors`;
        weights = new File([reply.weights], name, { type: 'application/octet-stream' });
        if (elements.download.href) URL.revokeObjectURL(elements.download.href);
        elements.download.href = URL.createObjectURL(weights);
        elements.download.download = name;
        elements.download.hidden = false;
        elements.tryIt.hidden = false;
        const how = reply.stopped === 'complete' ? 'done' : 'stopped';
        setStatus('done', `${how} after ${reply.steps} steps${validationText}; ${reply.tensors} tensors left in the worker`);
        elements.status.dataset.tensors = String(reply.tensors);
        finish();
      } else {
        setStatus('error', 'training failed');
        showError(`training failed (${reply.name}): ${reply.message}`);
        finish();
      }
    });
    current.postMessage({ type: 'start', wasmPaths: absolute(WASM_PATH), settings, samples: dataset.train, validation: dataset.validation, images } satisfies TrainRequest);
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
  elements.start.addEventListener('click', () => void start());
  elements.stop.addEventListener('click', () => worker?.postMessage({ type: 'stop' } satisfies TrainRequest));
  elements.tryIt.addEventListener('click', () => {
    if (weights === undefined) return;
    // The detection path's own weights input: the file's metadata names the model, its size and classes.
    const transfer = new DataTransfer();
    transfer.items.add(weights);
    weightsInput.files = transfer.files;
    weightsInput.dispatchEvent(new Event('change'));
  });
  onModelChange();
  setStatus('idle', 'choose the images and their COCO .json');
  return {
    useFiles: (chosen) => {
      files = [...chosen];
      void readFiles();
    },
  };
}
