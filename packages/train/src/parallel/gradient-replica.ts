import * as tf from '@tensorflow/tfjs-core';
import { EfficientDet, variableGradsFreeingOnThrow } from '@edet/model';
import { setBatchNormSync } from '@edet/tensor';

import { DropConnectRandom } from '../drop-connect.js';
import { TrainError } from '../errors.js';
import { EntryLayout } from './entry-layout.js';
import { ReplicaBatchNormSync, type SyncBuffers, abortSync } from './replica-batch-norm-sync.js';
import type { InitMessage, PassData, StepMessage, WorkerRequest } from './protocol.js';
import type { GradientReplicaPort } from './worker-port.js';

interface Replica {
  model: EfficientDet;
  layout: EntryLayout;
  weights: Float32Array;
  output: Float32Array;
  dropConnect?: DropConnectRandom;
  worker: number;
  sync?: SyncBuffers;
}

/** Options of `serveGradientWorker`. */
export interface GradientWorkerOptions {
  /**
   * Starts the trainer's tfjs backend (`name`, e.g. `wasm`) in this worker, e.g. with `useBackend` of
   * `@edet/model` and the backend entries the worker imports (the Node worker script passes wasm and cpu;
   * a browser worker gives the wasm backend its `.wasm` paths). The core imports no backend itself, so a
   * browser bundle of `@edet/train` pulls in only the backends its worker script names.
   */
  startBackend: (name: string) => Promise<void>;
}

async function init(message: InitMessage, startBackend: (name: string) => Promise<void>): Promise<Replica> {
  tf.enableProdMode();
  await startBackend(message.backend);
  const model = new EfficientDet(message.config);
  const layout = new EntryLayout(model);
  const names = layout.names();
  if (names.length !== message.entryNames.length || names.some((name, i) => name !== message.entryNames[i])) {
    throw new TrainError('the worker built a model whose entries differ from the trainer\'s (expected the same configuration)');
  }
  const dropConnect = message.dropConnectSeed === undefined ? undefined : new DropConnectRandom(model, message.dropConnectSeed);
  return {
    model,
    layout,
    weights: new Float32Array(message.weights),
    output: new Float32Array(message.output),
    dropConnect,
    worker: message.worker,
    sync: message.sync,
  };
}

/** Copies the shared weights into the replica's variables. */
function loadWeights({ layout, weights }: Replica): void {
  for (const entry of layout.weights) {
    tf.tidy(() => entry.variable.assign(tf.tensor(weights.subarray(entry.offset, entry.offset + entry.size), entry.variable.shape)));
  }
}

function passTensors(pass: PassData): { x: tf.Tensor4D; targets: tf.Tensor2D[] } {
  const x = tf.tensor4d(pass.images, pass.shape);
  const targets = pass.targets.map((rows) => tf.tensor2d(rows.flat(), [rows.length, 5]));
  return { x, targets };
}

function step(current: Replica, message: StepMessage): [number, number, number] {
  const { model, layout, output } = current;
  loadWeights(current);
  model.train();
  const parameters = layout.output.filter((entry) => entry.trainable);
  const variables = parameters.map((entry) => entry.variable);
  if (message.gradients) output.fill(0, 0, layout.gradientSize);
  const losses: [number, number, number] = [0, 0, 0];
  for (const pass of message.passes) {
    current.dropConnect?.reseed(message.step, pass.index);
    const { x, targets } = passTensors(pass);
    const { sync, worker } = current;
    if (sync && pass.round.replicas > 1) {
      setBatchNormSync(new ReplicaBatchNormSync(sync, worker, pass.round.replicas, pass.round.totalImages, pass.weight));
    }
    let parts: tf.Scalar[] = [];
    try {
      const compute = () => {
        const result = model.computeLoss(x, targets, message.options);
        parts = [tf.keep(result.classificationLoss), tf.keep(result.boxLoss)];
        return result.loss;
      };
      if (message.gradients) {
        const { value, grads } = variableGradsFreeingOnThrow(compute, variables);
        for (const entry of parameters) {
          const gradient = grads[entry.variable.name].dataSync() as Float32Array;
          const target = output.subarray(entry.offset, entry.offset + entry.size);
          for (let i = 0; i < gradient.length; i++) target[i] += pass.weight * gradient[i];
        }
        parts.unshift(value as tf.Scalar);
        tf.dispose(Object.values(grads));
      } else {
        parts.unshift(tf.tidy(compute));
      }
      parts.forEach((part, i) => (losses[i] += pass.weight * part.dataSync()[0]));
      tf.dispose(parts);
    } catch (error) {
      // Loss parts kept before the throw are nobody's now.
      tf.dispose(parts);
      // Workers waiting for this one at a batch norm would wait for ever.
      if (sync) abortSync(sync);
      throw error;
    } finally {
      setBatchNormSync(undefined);
      tf.dispose([x, ...targets]);
    }
  }
  if (message.gradients) {
    for (const entry of layout.output.filter((e) => !e.trainable)) output.set(entry.variable.dataSync() as Float32Array, entry.offset);
  }
  return losses;
}

/**
 * The body of a gradient worker: serves the requests of `GradientWorkers` arriving on `port`. On `init` it
 * starts the trainer's backend and builds a replica of the model (its own tfjs backend: on wasm, its own heap
 * and thread). For each step it loads the trainer's current weights from the shared buffer, runs its passes,
 * and writes the weighted sum of their gradients, then its updated batch-norm running statistics, into its
 * output buffer. The replica lives as long as the worker. Node's worker script calls it with `parentPort`;
 * a browser worker with `webWorkerScope(self)`.
 */
export function serveGradientWorker(port: GradientReplicaPort, options: GradientWorkerOptions): void {
  const { startBackend } = options;
  let replica: Replica | undefined;
  port.onRequest((message: WorkerRequest) => {
    void (async () => {
      try {
        if (message.type === 'init') {
          replica = await init(message, startBackend);
          port.postMessage({ type: 'ready' });
        } else {
          if (replica === undefined) throw new TrainError('a gradient worker got a step before init (expected an init message first)');
          const start = performance.now();
          const losses = step(replica, message);
          port.postMessage({ type: 'done', id: message.id, losses, computeMs: performance.now() - start });
        }
      } catch (error) {
        port.postMessage({ type: 'error', id: message.type === 'step' ? message.id : undefined, message: error instanceof Error ? error.message : String(error) });
      }
    })();
  });
}
