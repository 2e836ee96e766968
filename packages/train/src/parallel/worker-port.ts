import type { WorkerReply, WorkerRequest } from './protocol.js';

/**
 * The trainer's side of one gradient worker, whatever runs it: a Node worker thread
 * (`spawnWorkerThread` in `@edet/train/node`) or a browser Web Worker (`webWorkerPort`). The messages carry
 * `SharedArrayBuffer`s, so the worker must share memory with the trainer (in a browser: a cross-origin
 * isolated page).
 */
export interface GradientWorkerPort {
  /** Sends one request; the worker answers each with one reply. */
  postMessage(request: WorkerRequest): void;
  /**
   * Registers the handlers of the worker's replies and of its failure (an uncaught error, or the worker
   * ending). Called once, before the first `postMessage`.
   */
  listen(handlers: { reply(reply: WorkerReply): void; fail(error: Error): void }): void;
  /** Ends the worker. */
  terminate(): Promise<void>;
}

/** Starts gradient worker number `index` of a pool. */
export type SpawnGradientWorker = (index: number) => GradientWorkerPort;

/**
 * The worker's side of the same channel, as `serveGradientWorker` uses it: Node's `parentPort`, or a Web
 * Worker's global scope.
 */
export interface GradientReplicaPort {
  /** Sends one reply to the trainer. */
  postMessage(reply: WorkerReply): void;
  /** Registers the handler of the trainer's requests. */
  onRequest(handler: (request: WorkerRequest) => void): void;
}
