import type { WorkerReply, WorkerRequest } from './protocol.js';
import type { GradientReplicaPort, GradientWorkerPort } from './worker-port.js';

/** The part of a browser `Worker` that `webWorkerPort` uses. */
export interface WebWorkerLike {
  postMessage(message: unknown): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  addEventListener(type: 'error', listener: (event: { message?: string }) => void): void;
  terminate(): void;
}

/**
 * A browser Web Worker (a module worker whose script calls `serveGradientWorker(webWorkerScope(self), {
 * startBackend })`, `startBackend` giving the wasm backend its `.wasm` paths) as a gradient worker of
 * `GradientWorkers.start`. Shared memory needs a cross-origin isolated page.
 */
export function webWorkerPort(worker: WebWorkerLike): GradientWorkerPort {
  return {
    postMessage: (request) => worker.postMessage(request),
    listen: ({ reply, fail }) => {
      worker.addEventListener('message', (event) => reply(event.data as WorkerReply));
      worker.addEventListener('error', (event) => fail(new Error(`a gradient worker failed: ${event.message ?? 'unknown error'}`)));
    },
    terminate: async () => worker.terminate(),
  };
}

/** The part of a Web Worker's global scope (`self`) that `webWorkerScope` uses. */
export interface WebWorkerScopeLike {
  postMessage(message: unknown): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
}

/** A Web Worker's global scope as the replica's side of the channel, for `serveGradientWorker`. */
export function webWorkerScope(scope: WebWorkerScopeLike): GradientReplicaPort {
  return {
    postMessage: (reply) => scope.postMessage(reply),
    onRequest: (handler) => scope.addEventListener('message', (event) => handler(event.data as WorkerRequest)),
  };
}
