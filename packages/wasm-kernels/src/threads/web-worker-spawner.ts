import type { ThreadSpawner } from './kernel-threads.js';

/**
 * Starts a pool thread as a browser Web Worker (from a Blob URL, so no file needs serving). Workers are
 * allowed in workers too, so this works where tfjs itself runs in one (a cross-origin isolated page's
 * worker, where the wasm memory is shared).
 */
export const webWorkerSpawner: ThreadSpawner = (source, init, onMessage) => {
  const url = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
  const worker = new Worker(url);
  worker.onmessage = (event: MessageEvent) => {
    if (event.data === 'ready') URL.revokeObjectURL(url);
    onMessage(event.data);
  };
  worker.postMessage(init);
  return worker;
};
