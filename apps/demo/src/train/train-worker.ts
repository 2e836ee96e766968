/**
 * The training worker: decodes the uploaded images, streams augmented letterboxed batches (`@edet/data`),
 * fine-tunes the model on the chosen backend (wasm, with threads when the page is cross-origin isolated;
 * WebGL; WebGPU) with `@edet/train`'s epoch loop, reports every step, validates after every epoch,
 * checkpoints every epoch to IndexedDB (`checkpoint-store.ts`), and at the end (or after a stop) answers the
 * weights as safetensors. One run per worker: a new one, or the stored one resumed.
 */
import * as tf from '@tensorflow/tfjs-core';
import { type Batch, type DetectionDataset, type Sample, batchesPerEpoch, groundTruthOf, streamEpoch } from '@edet/data';
import { EfficientDet, trainStep } from '@edet/model';
import {
  DropConnectRandom,
  type RunState,
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
import { type StoredCheckpoint, type StoredRun, clearRun, loadRun, saveRunCheckpoint, saveRunStart } from './checkpoint-store.js';
import { PauseGate } from './pause-gate.js';
import type { StepReport, TrainReply, TrainRequest, TrainSettings, ValidationReport } from './train-protocol.js';
import { restoreTrainerStateBytes, sha256Hex, trainerStateBytes } from './trainer-state-bytes.js';

const stop = new StopSignal();
const gate = new PauseGate();
/** Where the run stands (the epoch loop advances it), for the pause reports. */
let runState: RunState | undefined;
const post = (reply: TrainReply, transfer: Transferable[] = []) => self.postMessage(reply, { transfer });

self.addEventListener('message', (event: MessageEvent<TrainRequest>) => {
  const request = event.data;
  if (request.type === 'stop') {
    stop.request('interrupt');
    return gate.resume();
  }
  if (request.type === 'pause') {
    // A pause is reported once the run holds (between two steps, see `batches`); going on at once.
    if (request.paused) return gate.pause();
    gate.resume();
    return post({ type: 'paused', paused: false, step: runState?.progress.step ?? 0 });
  }
  (request.type === 'resume' ? resumeStored(request.wasmPaths) : startNew(request)).catch((error: unknown) =>
    post({ type: 'error', name: error instanceof Error ? error.name : 'Error', message: error instanceof Error ? error.message : String(error) }),
  );
});

/** A new run: stored first (so that it can be resumed), then trained; without IndexedDB it trains unsaved. */
async function startNew(request: Extract<TrainRequest, { type: 'start' }>): Promise<void> {
  const { wasmPaths, ...data } = request;
  const stored: StoredRun = { ...data, id: crypto.randomUUID(), startedAt: new Date().toISOString() };
  let unsaved: string | undefined;
  try {
    await saveRunStart(stored);
  } catch (error) {
    unsaved = `no checkpoints: ${error instanceof Error ? error.message : String(error)}`;
  }
  await run(wasmPaths, stored, undefined, unsaved === undefined, unsaved);
}

/** The run stored in IndexedDB, from its last checkpoint. */
async function resumeStored(wasmPaths: string): Promise<void> {
  const stored = await loadRun();
  if (stored === undefined) throw new Error('resume: no unfinished run with a checkpoint is stored in this browser');
  await run(wasmPaths, stored.run, stored.checkpoint, true);
}

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

/**
 * Trains `stored` from its start, or from `from` (restored: weights, optimizer, progress, history); saves a
 * checkpoint after each epoch when `saves`, and forgets the stored run once its weights are made.
 */
async function run(wasmPaths: string, stored: StoredRun, from: StoredCheckpoint | undefined, saves: boolean, unsaved?: string): Promise<void> {
  const { settings, samples, validation, images } = stored;
  const threads = wasmThreadCount(settings.threads, { isolated: self.crossOriginIsolated, cores: navigator.hardwareConcurrency });
  const backend = await startBackend([settings.backend], wasmPaths, threads);
  // A resumed model gets every weight from the checkpoint: no initial weights to read.
  const { model, notice } = await createModel(from ? { ...settings, initialWeightsUrl: undefined, initialWeightsFile: undefined } : settings);
  const weightDecay = defaultWeightDecay('adamw');
  const optimizer = createOptimizer('adamw', settings.learningRate, weightDecay);
  // Drop-connect masks drawn from (seed, step): a resumed run draws those the uninterrupted one would have.
  const dropConnect = new DropConnectRandom(model, settings.seed);
  const history = { steps: [...(from?.steps ?? [])] as StepReport[], validations: [...(from?.validations ?? [])] as ValidationReport[] };
  const state: RunState = { progress: from?.json.progress ?? { epoch: 0, batchInEpoch: 0, step: 0 }, bestMap: from?.json.bestMap ?? null };
  const start = state.progress;
  runState = state;
  let weights: ArrayBuffer, stopped: string, steps: number;
  // No colour conversion: the pixels the CLI decodes from the same file.
  const readImage = async (sample: Sample) => bitmapPixels(await createImageBitmap(images[sample.file], { colorSpaceConversion: 'none', premultiplyAlpha: 'none' }));
  try {
    post({ type: 'started', backend: backend.active, threads: backend.threads, notice: [notice, unsaved].filter(Boolean).join('; ') || undefined });
    if (from) {
      restoreTrainerStateBytes(from.state, from.json, model, optimizer);
      const sha256 = await sha256Hex(await trainerStateBytes(model, optimizer));
      post({ type: 'resumed', settings, epoch: start.epoch, step: start.step, sha256, ...history });
    }
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
    // From where the run stands (the order and augmentation follow from the seed, the epoch and the batch).
    async function* batches(): AsyncGenerator<Batch> {
      for (let epoch = start.epoch; epoch < epochs; epoch++) {
        for await (const batch of streamEpoch(samples, epoch, epoch === start.epoch ? start.batchInEpoch : 0, pipeline)) {
          if (gate.paused) post({ type: 'paused', paused: true, step: state.progress.step });
          await gate.wait();
          yield batch;
        }
      }
    }
    const validationOptions = { ...validationPipeline({ size: settings.inputSize, batch: settings.batchSize, normalization: model.config.normalization }), readImage };
    const validationData = validationDataset(validation, settings.classNames);
    const runValidation = () => validate(model, validationData, streamEpoch(validation, 0, 0, validationOptions));
    const reportValidation = (result: Awaited<ReturnType<typeof validate>>) => {
      const report: ValidationReport = { step: state.progress.step, images: validation.length, valLoss: result.valLoss, map: result.map, map50: result.map50, seconds: result.seconds };
      history.validations.push(report);
      post({ type: 'validated', ...report });
    };
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
        dropConnect,
        runStep: (x, targets) => trainStep(model, optimizer, x, targets, { channelsLast: true, clipGradientNorm: 10 }),
        stepFailure: (error) => error,
        checkpointNote: () => (saves ? "this browser keeps the last finished epoch's checkpoint" : 'nothing was saved'),
        elapsed: () => performance.now() / 1000,
        save: async () => undefined,
        validatesAfter: () => validation.length > 0,
        validate: runValidation,
        onValidation: (_, result) => reportValidation(result),
        onStep: ({ record }) => {
          const report: StepReport = {
            step: record.step,
            steps: settings.steps,
            loss: record.loss,
            classificationLoss: record.classificationLoss,
            boxLoss: record.boxLoss,
            learningRate: record.lr,
            seconds: record.seconds,
          };
          history.steps.push(report);
          post({ type: 'step', ...report });
        },
        onEpoch: async () => {
          if (!saves) return;
          const began = performance.now();
          const bytes = await trainerStateBytes(model, optimizer);
          const sha256 = await sha256Hex(bytes);
          const json = {
            savedAt: new Date().toISOString(),
            progress: state.progress,
            optimizer: { name: 'adamw' as const, step: optimizer.step, learningRate: optimizer.learningRate, weightDecay },
            ema: null,
            bestMap: state.bestMap,
          };
          try {
            await saveRunCheckpoint({ runId: stored.id, json, state: bytes, sha256, steps: history.steps, validations: history.validations });
          } catch (error) {
            // Storage full or gone: the previous checkpoint stays whole, and training goes on.
            return post({ type: 'checkpoint-failed', step: state.progress.step, message: error instanceof Error ? error.message : String(error) });
          }
          post({ type: 'checkpoint', epoch: state.progress.epoch, step: state.progress.step, sha256, seconds: (performance.now() - began) / 1000 });
        },
      },
      state,
    );
    // A run that ended mid-epoch (a stop, or a step count that is no whole number of epochs) is validated as it ends.
    if (validation.length > 0 && history.validations.at(-1)?.step !== state.progress.step) reportValidation(await runValidation());
    const bytes = await model.saveSafetensors({ metadata: { classes: JSON.stringify(settings.classNames), trained: 'true' } });
    weights = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    stopped = result.stopped;
    steps = state.progress.step;
    // The run is over and its weights are made: nothing to resume any more (should the clear fail, a Resume
    // would only make the same weights again).
    if (saves) await clearRun().catch(() => undefined);
  } finally {
    model.dispose();
    optimizer.dispose();
  }
  post({ type: 'done', stopped, steps, weights, tensors: tf.memory().numTensors }, [weights]);
}
