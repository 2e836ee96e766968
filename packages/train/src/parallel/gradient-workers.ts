import * as tf from '@tensorflow/tfjs-core';
import type { EfficientDet, LossOptions } from '@edet/model';

import { TrainError } from '../errors.js';
import { EntryLayout } from './entry-layout.js';
import type { PassData, StepMessage, WorkerReply, WorkerRequest } from './protocol.js';
import { ANOTHER_WORKER_FAILED, type SyncBuffers, abortSync, createSyncBuffers, resetSync } from './replica-batch-norm-sync.js';
import type { GradientWorkerPort, SpawnGradientWorker } from './worker-port.js';

/** What `GradientWorkers.run` returns: the step's losses (batch-weighted) and each worker's compute time. */
export interface ParallelPassResult {
  losses: [number, number, number];
  computeMs: number[];
}

/** Options of `GradientWorkers.start`. */
export interface GradientWorkersOptions {
  /** Workers (each with its own backend and model replica). */
  count: number;
  /**
   * Starts one worker: `spawnWorkerThread` from `@edet/train/node` in Node; in a browser, a function that
   * makes a module Web Worker and wraps it with `webWorkerPort`.
   */
  spawn: SpawnGradientWorker;
  /** Seed of the drop-connect masks per (step, pass); default: each replica's own stream. */
  dropConnectSeed?: number;
  /**
   * Synchronised batch norm: the passes that run side by side (one per worker) normalise with their
   * statistics together, as one pass over all their images would. Default false: each pass uses its own.
   */
  syncBatchNorm?: boolean;
}

interface Pending {
  resolve: (reply: WorkerReply) => void;
  reject: (error: Error) => void;
}

/** One worker and its reply queue. */
class GradientWorker {
  private readonly pending = new Map<number, Pending>();
  private ready?: Pending;
  private failure?: Error;

  constructor(readonly port: GradientWorkerPort) {
    port.listen({ reply: (message) => this.receive(message), fail: (error) => this.fail(error) });
  }

  private receive(message: WorkerReply): void {
    if (message.type === 'ready') {
      this.ready?.resolve(message);
      return;
    }
    const id = message.type === 'error' ? message.id : message.id;
    const waiting = id === undefined ? this.ready : this.pending.get(id);
    if (id !== undefined) this.pending.delete(id);
    else this.ready = undefined;
    if (message.type === 'error') waiting?.reject(new TrainError(message.message));
    else waiting?.resolve(message);
  }

  private fail(error: Error): void {
    this.failure ??= error;
    this.ready?.reject(error);
    for (const waiting of this.pending.values()) waiting.reject(error);
    this.pending.clear();
  }

  init(message: WorkerRequest): Promise<WorkerReply> {
    return new Promise((resolve, reject) => {
      if (this.failure) return reject(this.failure);
      this.ready = { resolve, reject };
      this.port.postMessage(message);
    });
  }

  request(message: StepMessage): Promise<WorkerReply> {
    return new Promise((resolve, reject) => {
      if (this.failure) return reject(this.failure);
      this.pending.set(message.id, { resolve, reject });
      this.port.postMessage(message);
    });
  }
}

/**
 * Data-parallel gradients on workers (Node worker threads, or browser Web Workers: see `spawn`): each worker
 * keeps a replica of the model on its own tfjs backend (on wasm, its own heap and thread, so the passes of a
 * step run on separate cores). A step writes
 * the trainer's weights to one shared buffer, hands each worker its micro-batches, and sums the workers'
 * weighted gradients; the trainer's model stays the one that is updated, averaged (EMA) and saved.
 *
 * Batch norm normalises each pass with that pass's statistics (as in any gradient accumulation, and as
 * data-parallel training without synchronised batch norm does), or, with `syncBatchNorm`, with the
 * statistics of the passes the workers run side by side; the running statistics the replicas update are
 * averaged back into the trainer's model.
 *
 * Ownership: `close()` ends the workers; the pool never disposes the trainer's tensors.
 */
export class GradientWorkers {
  private nextId = 0;
  // Which workers had passes in the last `run`.
  private active: boolean[] = [];

  private constructor(
    /** The model whose weights the workers use and whose gradients they compute. */
    readonly model: EfficientDet,
    private readonly workers: GradientWorker[],
    readonly layout: EntryLayout,
    private readonly weights: Float32Array,
    private readonly outputs: Float32Array[],
    private readonly sync: SyncBuffers | undefined,
  ) {}

  /**
   * Starts `count` workers with replicas of `model` (same configuration; its weights are sent with each
   * step). The pool is bound to `model`: it reads its weights and sets its running statistics.
   */
  static async start(model: EfficientDet, options: GradientWorkersOptions): Promise<GradientWorkers> {
    const layout = new EntryLayout(model);
    const weights = new SharedArrayBuffer(layout.totalSize * 4);
    const threads = Array.from({ length: options.count }, (_, index) => new GradientWorker(options.spawn(index)));
    const outputs: SharedArrayBuffer[] = threads.map(() => new SharedArrayBuffer(layout.totalSize * 4));
    const channels = layout.weights.filter((entry) => entry.name.endsWith('running_mean')).map((entry) => entry.size);
    const sync = options.syncBatchNorm ? createSyncBuffers(options.count, Math.max(1, ...channels)) : undefined;
    const floats = outputs.map((buffer) => new Float32Array(buffer));
    const pool = new GradientWorkers(model, threads, layout, new Float32Array(weights), floats, sync);
    try {
      await Promise.all(
        threads.map((worker, i) =>
          worker.init({
            type: 'init',
            backend: tf.getBackend(),
            config: model.config,
            entryNames: layout.names(),
            weights,
            output: outputs[i],
            dropConnectSeed: options.dropConnectSeed,
            worker: i,
            sync,
          }),
        ),
      );
    } catch (error) {
      await pool.close();
      throw error;
    }
    return pool;
  }

  /** Number of workers. */
  get size(): number {
    return this.workers.length;
  }

  /** Whether the workers' side-by-side passes share batch-norm statistics. */
  get syncBatchNorm(): boolean {
    return this.sync !== undefined;
  }

  /** Copies the model's current entries into the shared weights buffer. */
  private publishWeights(): void {
    for (const entry of this.layout.weights) this.weights.set(entry.variable.dataSync() as Float32Array, entry.offset);
  }

  /**
   * Runs the passes of one step on the workers (pass `i` on worker `i mod size`) with `model`'s current
   * weights. With `gradients`, each worker's output buffer then holds its weighted gradient sum and its
   * running statistics (read them with `sumGradients` / `averageStatistics`).
   * @param x `[batch, ...]` images, split along the batch axis into passes of `microBatch`. Not disposed.
   * @param targets per image `[Ni, 5]`. Not disposed.
   */
  async run(
    x: tf.Tensor4D,
    targets: readonly tf.Tensor2D[],
    options: { microBatch: number; step: number; gradients: boolean; loss: LossOptions & { channelsLast?: boolean } },
  ): Promise<ParallelPassResult> {
    this.publishWeights();
    const batch = x.shape[0];
    const imageSize = x.size / batch;
    const pixels = x.dataSync() as Float32Array;
    const boxes = targets.map((t) => t.arraySync() as number[][]);
    const perWorker: PassData[][] = this.workers.map(() => []);
    const passCount = Math.ceil(batch / options.microBatch);
    for (let start = 0, index = 0; start < batch; start += options.microBatch, index++) {
      const count = Math.min(options.microBatch, batch - start);
      // Round r holds passes r * size .. r * size + replicas - 1, one per worker.
      const roundStart = index - (index % this.size);
      const replicas = Math.min(this.size, passCount - roundStart);
      const totalImages = Math.min(batch, (roundStart + replicas) * options.microBatch) - roundStart * options.microBatch;
      perWorker[index % this.size].push({
        images: pixels.slice(start * imageSize, (start + count) * imageSize),
        shape: [count, x.shape[1], x.shape[2], x.shape[3]],
        targets: boxes.slice(start, start + count),
        weight: count / batch,
        index,
        round: { replicas, totalImages },
      });
    }
    if (this.sync) resetSync(this.sync);
    const settled = await Promise.allSettled(
      this.workers.map((worker, i) => {
        if (perWorker[i].length === 0) return undefined;
        const id = this.nextId++;
        const message: StepMessage = { type: 'step', id, step: options.step, passes: perWorker[i], options: options.loss, gradients: options.gradients };
        return worker.request(message).catch((error: unknown) => {
          // Release the workers waiting for this one at a batch norm before waiting for them.
          if (this.sync) abortSync(this.sync);
          throw error;
        });
      }),
    );
    const failures = settled.flatMap((result) => (result.status === 'rejected' ? [result.reason as Error] : []));
    if (failures.length > 0) throw failures.find((error) => error.message !== ANOTHER_WORKER_FAILED) ?? failures[0];
    const replies = settled.map((result) => (result.status === 'fulfilled' ? result.value : undefined));
    this.active = perWorker.map((passes) => passes.length > 0);
    const losses: [number, number, number] = [0, 0, 0];
    const computeMs: number[] = [];
    for (const done of replies) {
      if (done?.type !== 'done') continue;
      done.losses.forEach((value, i) => (losses[i] += value));
      computeMs.push(done.computeMs);
    }
    return { losses, computeMs };
  }

  /** The last run's gradients, summed over the workers, as new tensors keyed by entry name (the caller disposes them). */
  sumGradients(): Record<string, tf.Tensor> {
    const outputs = this.outputs.filter((_, i) => this.active[i]);
    const gradients: Record<string, tf.Tensor> = {};
    for (const entry of this.layout.output) {
      if (!entry.trainable) continue;
      const sum = outputs[0].slice(entry.offset, entry.offset + entry.size);
      for (const output of outputs.slice(1)) {
        for (let i = 0; i < sum.length; i++) sum[i] += output[entry.offset + i];
      }
      gradients[entry.name] = tf.tensor(sum, entry.variable.shape);
    }
    return gradients;
  }

  /**
   * Sets `model`'s running statistics to the mean of the workers' (each worker updated them from the
   * model's values with its own passes).
   */
  averageStatistics(): void {
    const outputs = this.outputs.filter((_, i) => this.active[i]);
    for (const entry of this.layout.output) {
      if (entry.trainable) continue;
      const mean = new Float32Array(entry.size);
      for (const output of outputs) {
        for (let i = 0; i < entry.size; i++) mean[i] += output[entry.offset + i] / outputs.length;
      }
      tf.tidy(() => entry.variable.assign(tf.tensor(mean, entry.variable.shape)));
    }
  }

  /** Ends the workers. */
  async close(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.port.terminate()));
  }
}
