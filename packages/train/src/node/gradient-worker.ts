// The script of a Node gradient worker thread (see `spawnWorkerThread`): serves the trainer's requests.
import { parentPort } from 'node:worker_threads';

import { serveGradientWorker } from '../parallel/gradient-replica.js';
import type { WorkerRequest } from '../parallel/protocol.js';

const port = parentPort!;
serveGradientWorker({
  postMessage: (reply) => port.postMessage(reply),
  onRequest: (handler) => port.on('message', (request: WorkerRequest) => handler(request)),
});
