import type { EfficientDetConfig, LossOptions } from '@edet/model';

import type { SyncBuffers } from './replica-batch-norm-sync.js';

/**
 * Messages between the trainer and its gradient workers. Weights travel through one shared buffer the
 * trainer writes before each request; each worker writes its gradients and batch-norm statistics into
 * its own shared buffer before replying, so a step moves no large message.
 */

/** Trainer -> worker, once: build the model and bind the shared buffers. */
export interface InitMessage {
  type: 'init';
  backend: string;
  config: EfficientDetConfig;
  /** Names of the model's entries in the order the shared buffers hold them (checked by the worker). */
  entryNames: string[];
  /** Every entry (parameters and buffers), float32, `namedEntries()` order. */
  weights: SharedArrayBuffer;
  /** This worker's output: the weighted gradient sum of the parameters, then its batch-norm statistics. */
  output: SharedArrayBuffer;
  /** Seed of the drop-connect masks (see `DropConnectRandom`); undefined keeps the model's own stream. */
  dropConnectSeed?: number;
  /** This worker's index in the pool. */
  worker: number;
  /** Shared memory of synchronised batch norm; undefined: each pass normalises with its own statistics. */
  sync?: SyncBuffers;
}

/** One micro-batch of a step. */
export interface PassData {
  /** `[count, ...imageShape]` images, float32. */
  images: Float32Array;
  shape: [number, number, number, number];
  /** Per image `[Ni, 5]` rows `[x1, y1, x2, y2, classId]`. */
  targets: number[][][];
  /** Share of the step's batch (count / batch): gradients and losses are weighted by it. */
  weight: number;
  /** Index of the pass within the step (seeds its drop-connect masks). */
  index: number;
  /**
   * The passes that run side by side with this one, one per worker (workers `0 .. replicas - 1`), and
   * their images together: with synchronised batch norm they share statistics.
   */
  round: { replicas: number; totalImages: number };
}

/** Trainer -> worker: compute the loss (and gradients) of some passes with the current shared weights. */
export interface StepMessage {
  type: 'step';
  id: number;
  step: number;
  passes: PassData[];
  options: LossOptions & { channelsLast?: boolean };
  /** False for a forward-only pass (timing); then nothing is written to the output buffer. */
  gradients: boolean;
}

export type WorkerRequest = InitMessage | StepMessage;

/** Worker -> trainer. */
export type WorkerReply =
  | { type: 'ready' }
  | {
      type: 'done';
      id: number;
      /** Weighted sums over the passes: total, classification and box loss. */
      losses: [number, number, number];
      /** Milliseconds the worker spent computing. */
      computeMs: number;
    }
  | { type: 'error'; id?: number; message: string };
