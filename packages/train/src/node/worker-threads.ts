import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

import type { WorkerReply } from '../parallel/protocol.js';
import type { GradientWorkerPort, SpawnGradientWorker } from '../parallel/worker-port.js';
import { TrainError } from '../errors.js';

/**
 * The built worker script. From the built package it sits next to this code (`dist/`); from the sources
 * (tests), it is the package's build output.
 */
function workerScript(): URL {
  const candidates = [new URL('./gradient-worker.js', import.meta.url), new URL('../../dist/gradient-worker.js', import.meta.url)];
  const found = candidates.find((url) => existsSync(fileURLToPath(url)));
  if (found === undefined) throw new TrainError('the gradient worker script is missing (expected dist/gradient-worker.js); build @edet/train first (npx pnpm build)');
  return found;
}

/** A Node worker thread as a gradient worker. */
export function workerThreadPort(thread: Worker): GradientWorkerPort {
  return {
    postMessage: (request) => thread.postMessage(request),
    listen: ({ reply, fail }) => {
      thread.on('message', (message: WorkerReply) => reply(message));
      thread.on('error', (error) => fail(error));
      thread.on('exit', (code) => fail(new TrainError(`a gradient worker exited (code ${code})`)));
    },
    terminate: async () => {
      await thread.terminate();
    },
  };
}

/**
 * Starts a gradient worker on a Node worker thread running `@edet/train`'s worker script: the `spawn` of
 * `GradientWorkers.start` in Node.
 */
export const spawnWorkerThread: SpawnGradientWorker = () => workerThreadPort(new Worker(workerScript()));
