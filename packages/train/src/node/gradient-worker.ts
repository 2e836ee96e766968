// The script of a Node gradient worker thread (see `spawnWorkerThread`): serves the trainer's requests.
import { parentPort } from 'node:worker_threads';

import { useBackend } from '@edet/model';
import { cpu } from '@edet/model/backends/cpu';
import { wasm } from '@edet/model/backends/wasm';

import { serveGradientWorker } from '../parallel/gradient-replica.js';
import type { WorkerRequest } from '../parallel/protocol.js';

const port = parentPort!;
// The trainer's backend by name: the Node backends edet trains on (the wasm entry registers edet's kernels).
const loaders = { wasm, cpu };
serveGradientWorker(
  {
    postMessage: (reply) => port.postMessage(reply),
    onRequest: (handler) => port.on('message', (request: WorkerRequest) => handler(request)),
  },
  {
    startBackend: async (name) => {
      if (!(name in loaders)) throw new Error(`gradient workers run on ${Object.keys(loaders).join(' or ')}, not ${name}`);
      await useBackend([loaders[name as keyof typeof loaders]]);
    },
  },
);
