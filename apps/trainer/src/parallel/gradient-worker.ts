import { parentPort } from 'node:worker_threads';

import * as tf from '@tensorflow/tfjs-core';
import { EfficientDet, useBackend } from '@edet/model';
import { cpu } from '@edet/model/backends/cpu';
import { wasm } from '@edet/model/backends/wasm';
import { setBatchNormSync } from '@edet/tensor';

import { DropConnectRandom } from '../train/drop-connect.js';
import { EntryLayout } from './entry-layout.js';
import { ReplicaBatchNormSync, type SyncBuffers, abortSync } from './replica-batch-norm-sync.js';
import type { InitMessage, PassData, StepMessage, WorkerReply, WorkerRequest } from './protocol.js';

/**
 * A gradient worker: a replica of the model on its own tfjs backend (its own wasm heap and thread). For
 * each step it loads the trainer's current weights, runs its passes, and writes the weighted sum of their
 * gradients, then its updated batch-norm running statistics, into its output buffer.
 */

interface Replica {
  model: EfficientDet;
  layout: EntryLayout;
  weights: Float32Array;
  output: Float32Array;
  dropConnect?: DropConnectRandom;
  worker: number;
  sync?: SyncBuffers;
}

let replica: Replica | undefined;

function reply(message: WorkerReply): void {
  parentPort!.postMessage(message);
}

async function init(message: InitMessage): Promise<void> {
  tf.enableProdMode();
  await useBackend([{ wasm, cpu }[message.backend as 'wasm' | 'cpu']]);
  const model = new EfficientDet(message.config);
  const layout = new EntryLayout(model);
  const names = layout.names();
  if (names.length !== message.entryNames.length || names.some((name, i) => name !== message.entryNames[i])) {
    throw new Error('the worker built a model whose entries differ from the trainer\'s');
  }
  const dropConnect = message.dropConnectSeed === undefined ? undefined : new DropConnectRandom(model, message.dropConnectSeed);
  replica = {
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

function step(message: StepMessage): [number, number, number] {
  const current = replica!;
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
    try {
      let parts: tf.Scalar[] = [];
      const compute = () => {
        const result = model.computeLoss(x, targets, message.options);
        parts = [tf.keep(result.classificationLoss), tf.keep(result.boxLoss)];
        return result.loss;
      };
      if (message.gradients) {
        const { value, grads } = tf.variableGrads(compute, variables);
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

parentPort!.on('message', (message: WorkerRequest) => {
  void (async () => {
    try {
      if (message.type === 'init') {
        await init(message);
        reply({ type: 'ready' });
      } else {
        const start = performance.now();
        const losses = step(message);
        reply({ type: 'done', id: message.id, losses, computeMs: performance.now() - start });
      }
    } catch (error) {
      reply({ type: 'error', id: message.type === 'step' ? message.id : undefined, message: error instanceof Error ? error.message : String(error) });
    }
  })();
});
