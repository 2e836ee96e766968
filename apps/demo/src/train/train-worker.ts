/**
 * The training worker: decodes the uploaded images, streams augmented letterboxed batches (`@edet/data`),
 * fine-tunes the model on the chosen backend (wasm, with threads when the page is cross-origin isolated; WebGL; WebGPU) with `@edet/train`'s epoch loop, reports every step, and at the
 * end (or after a stop) answers the weights as safetensors. One run per worker.
 */
import * as tf from '@tensorflow/tfjs-core';
import { type Batch, type DetectionDataset, type Sample, batchesPerEpoch, groundTruthOf, streamEpoch } from '@edet/data';
import { EfficientDet, trainStep } from '@edet/model';
import {
  StopSignal,
  classChangeNotice,
  createOptimizer,
  defaultWarmupSteps,
  defaultWeightDecay,
  loadInitialWeights,
  trainEpochs,
  validate,
  validationPipeline,
} from '@edet/train';

import { bitmapPixels } from '../worker/bitmap-pixels.js';
import { startBackend } from '../worker/start-backend.js';
import { wasmThreadCount } from '../worker/wasm-threads.js';
import type { TrainReply, TrainRequest, TrainSettings } from './train-protocol.js';

const stop = new StopSignal();
const post = (reply: TrainReply, transfer: Transferable[] = []) => self.postMessage(reply, { transfer });

self.addEventListener('message', (event: MessageEvent<TrainRequest>) => {
  const request = event.data;
  if (request.type === 'stop') return stop.request('interrupt');
  run(request.wasmPaths, request.settings, request.samples, request.validation, request.images).catch((error: unknown) =>
    post({ type: 'error', name: error instanceof Error ? error.name : 'Error', message: error instanceof Error ? error.message : String(error) }),
  );
});

/** The bytes of the weights to start from, what names them in errors and in the class-change notice. */
async function initialWeights(settings: TrainSettings): Promise<{ bytes: Uint8Array; source: string; described: string } | undefined> {
  const file = settings.initialWeightsFile;
  if (file !== undefined) return { bytes: new Uint8Array(await file.arrayBuffer()), source: file.name, described: file.name };
  const url = settings.initialWeightsUrl;
  if (url === undefined) return undefined;
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return { bytes: new Uint8Array(await response.arrayBuffer()), source: url, described: 'the bundled model' };
}

/** The model to train: the preset at the chosen size and classes, from the initial weights when given. */
async function createModel(settings: TrainSettings): Promise<{ model: EfficientDet; notice?: string }> {
  const model = EfficientDet.fromPreset(settings.model, { numClasses: settings.classNames.length, inputSize: settings.inputSize, seed: settings.seed });
  try {
    const start = await initialWeights(settings);
    if (start === undefined) return { model };
    const loaded = loadInitialWeights(model, start.bytes, start.source);
    // Another class list: every weight but the class head's last layer, which starts fresh.
    return { model, notice: loaded.fileClasses === undefined ? undefined : classChangeNotice(start.described, loaded.fileClasses, settings.classNames.length) };
  } catch (error) {
    model.dispose();
    throw error;
  }
}

/** The validation images as a dataset `validate` scores: category ids are the class indices + 1. */
function validationDataset(samples: Sample[], classNames: string[]): DetectionDataset {
  const categoryIds = classNames.map((_, index) => index + 1);
  const groundTruth = groundTruthOf(samples, classNames, categoryIds);
  return { format: 'coco', root: '', split: 'validation', classNames, categoryIds, samples, issues: [], notes: [], groundTruth, annotationSource: 'upload' };
}

async function run(wasmPaths: string, settings: TrainSettings, samples: Sample[], validation: Sample[], images: Record<string, Blob>): Promise<void> {
  const threads = wasmThreadCount(settings.threads, { isolated: self.crossOriginIsolated, cores: navigator.hardwareConcurrency });
  const backend = await startBackend([settings.backend], wasmPaths, threads);
  const { model, notice } = await createModel(settings);
  const optimizer = createOptimizer('adamw', settings.learningRate, defaultWeightDecay('adamw'));
  let weights: ArrayBuffer, stopped: string, steps: number;
  // No colour conversion: the pixels the CLI decodes from the same file.
  const readImage = async (sample: Sample) => bitmapPixels(await createImageBitmap(images[sample.file], { colorSpaceConversion: 'none', premultiplyAlpha: 'none' }));
  try {
    post({ type: 'started', backend: backend.active, threads: backend.threads, notice });
    const pipeline = {
      size: settings.inputSize,
      normalization: model.config.normalization,
      batchSize: settings.batchSize,
      seed: settings.seed,
      augment: settings.augment,
      shuffle: true,
      dropLast: samples.length >= settings.batchSize,
      readImage,
    };
    const stepsPerEpoch = batchesPerEpoch(samples.length, settings.batchSize, pipeline.dropLast);
    const epochs = Math.ceil(settings.steps / stepsPerEpoch);
    async function* batches(): AsyncGenerator<Batch> {
      for (let epoch = 0; epoch < epochs; epoch++) yield* streamEpoch(samples, epoch, 0, pipeline);
    }
    const result = await trainEpochs(
      {
        model,
        optimizer,
        schedule: { baseLr: settings.learningRate, warmupSteps: defaultWarmupSteps(settings.steps), totalSteps: settings.steps, minLr: settings.learningRate / 10 },
        epochs,
        stepsPerEpoch,
        stepLimit: settings.steps,
        batches: batches(),
        stop,
        runStep: (x, targets) => trainStep(model, optimizer, x, targets, { channelsLast: true, clipGradientNorm: 10 }),
        stepFailure: (error) => error,
        checkpointNote: () => 'nothing was saved',
        elapsed: () => performance.now() / 1000,
        save: async () => undefined,
        onStep: ({ record }) =>
          post({
            type: 'step',
            step: record.step,
            steps: settings.steps,
            loss: record.loss,
            classificationLoss: record.classificationLoss,
            boxLoss: record.boxLoss,
            learningRate: record.lr,
            seconds: record.seconds,
          }),
        onEpoch: async () => undefined,
      },
      { progress: { epoch: 0, batchInEpoch: 0, step: 0 }, bestMap: null },
    );
    if (validation.length > 0) {
      const options = { ...validationPipeline({ size: settings.inputSize, batch: settings.batchSize, normalization: model.config.normalization }), readImage };
      const result = await validate(model, validationDataset(validation, settings.classNames), streamEpoch(validation, 0, 0, options));
      post({ type: 'validated', images: validation.length, valLoss: result.valLoss, map: result.map, map50: result.map50 });
    }
    const bytes = await model.saveSafetensors({ metadata: { classes: JSON.stringify(settings.classNames), trained: 'true' } });
    weights = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    stopped = result.stopped;
    steps = result.stepSeconds.length;
  } finally {
    model.dispose();
    optimizer.dispose();
  }
  post({ type: 'done', stopped, steps, weights, tensors: tf.memory().numTensors }, [weights]);
}
