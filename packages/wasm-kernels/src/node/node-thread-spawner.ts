import { Worker } from 'node:worker_threads';

import type { ThreadSpawner } from '../threads/kernel-threads.js';

/**
 * Starts a pool thread as a Node worker thread running the source as `eval` code. It is unref'd: an idle
 * pool (its threads sleep in `Atomics.wait`) never keeps the process alive.
 */
export const nodeThreadSpawner: ThreadSpawner = (source, init, onMessage) => {
  const worker = new Worker(source, { eval: true });
  worker.on('message', onMessage);
  // After the listener: adding a 'message' listener refs the worker again.
  worker.unref();
  worker.postMessage(init);
  return { terminate: () => void worker.terminate() };
};
