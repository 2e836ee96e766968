/**
 * The inference worker (a module worker): owns the tfjs backend and the model, so that the page stays
 * responsive while the network runs. Requests are handled one at a time, in order.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { EfficientDet } from '@edet/model';

import type { BackendInfo, WorkerReply, WorkerRequest } from '../protocol.js';
import { detectCandidates } from './detect-candidates.js';
import { type LoadedModel, bundledModelName, describeModel, loadBundledModel, untrainedPreset } from './load-model.js';
import { loadUserWeights } from './load-user-weights.js';
import { startBackend } from './start-backend.js';
import { wasmThreadCount } from './wasm-threads.js';

/** The parts of `DedicatedWorkerGlobalScope` used here (the DOM typings this project compiles with lack it). */
interface WorkerScope {
  onmessage: ((event: MessageEvent<WorkerRequest>) => void) | null;
  postMessage(message: WorkerReply, transfer: Transferable[]): void;
}
const scope = self as unknown as WorkerScope;

let model: EfficientDet | undefined;
let labels: string[] = [];
let runs = 0;
/** The backend `init` started, reported with every detection. */
let backend: BackendInfo | undefined;
/** The bundled model's manifest, from `init`: choosing the bundled model again loads it from there. */
let manifestUrl = '';

/** The model to use: the preset `name` untrained, or (no name) the bundled model or its stand-in. */
function loadChosenModel(name: string | undefined): Promise<LoadedModel> {
  return name === undefined ? loadBundledModel(manifestUrl) : Promise.resolve(untrainedPreset(name));
}

/** Makes `loaded` the model in use, disposing the one before. */
function use(loaded: LoadedModel): void {
  model?.dispose();
  model = loaded.model;
  labels = loaded.info.labels;
}

async function handle(request: WorkerRequest): Promise<WorkerReply> {
  switch (request.type) {
    case 'init': {
      const threads = wasmThreadCount(request.threads, { isolated: self.crossOriginIsolated, cores: navigator.hardwareConcurrency });
      backend = await startBackend(request.preferences, request.wasmPaths, threads);
      manifestUrl = request.manifestUrl;
      const loaded = await loadChosenModel(request.model);
      use(loaded);
      // Whether there is a bundled model to offer: the loaded one, or (a preset was picked) its manifest.
      const bundled = request.model === undefined ? (loaded.info.standIn ? undefined : loaded.info.name) : await bundledModelName(manifestUrl);
      return { type: 'ready', id: request.id, backend, model: loaded.info, notice: loaded.notice, ...(bundled === undefined ? {} : { bundled }) };
    }
    case 'choose-model': {
      // Built (or fetched) before the model in use goes: a name that is refused leaves it in place.
      const loaded = await loadChosenModel(request.model);
      use(loaded);
      return { type: 'model-chosen', id: request.id, model: loaded.info, notice: loaded.notice };
    }
    case 'load-weights': {
      const current = requireModel();
      const bytes = new Uint8Array(request.bytes);
      // Atomic: on FileFormatError or StateDictError the model in use keeps its weights.
      const loaded = loadUserWeights(current, labels, bytes, request.name);
      if (loaded.model !== current) current.dispose();
      model = loaded.model;
      labels = loaded.labels;
      return { type: 'weights-loaded', id: request.id, model: describeModel(model, request.name, loaded.trained, labels) };
    }
    case 'detect': {
      const detection = await detectCandidates(requireModel(), request.image);
      runs += 1;
      // A model exists only after init, so `backend` is set here.
      const { active, threads } = backend!;
      const ranOn = { backend: active, ...(threads === undefined ? {} : { threads }) };
      return { type: 'detected', id: request.id, result: { ...detection, run: runs, tensors: tf.memory().numTensors, ...ranOn } };
    }
  }
}

function requireModel(): EfficientDet {
  if (model === undefined) throw new Error('the worker has no model yet (send init first)');
  return model;
}

function transferables(reply: WorkerReply): Transferable[] {
  if (reply.type !== 'detected') return [];
  const { boxes, scores, classIds } = reply.result.candidates;
  return [boxes.buffer, scores.buffer, classIds.buffer];
}

// A chain, so a detect sent while weights load waits for them instead of interleaving with the load.
let queue: Promise<void> = Promise.resolve();

scope.onmessage = (event) => {
  const request = event.data;
  queue = queue.then(async () => {
    let reply: WorkerReply;
    try {
      reply = await handle(request);
    } catch (error) {
      const name = error instanceof Error ? error.name : 'Error';
      reply = { type: 'error', id: request.id, name, message: error instanceof Error ? error.message : String(error) };
    }
    scope.postMessage(reply, transferables(reply));
  });
};
