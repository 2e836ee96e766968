/**
 * Starts tfjs's multi-threaded WebAssembly build in Node, which tfjs 4.22 itself only starts in browsers.
 *
 * The threaded build runs XNNPACK's thread pool on Emscripten pthreads: Web Workers sharing the module's
 * memory. In Node, Emscripten makes them `worker_threads` Workers, but tfjs hands it the worker script and
 * the module factory as Blob URLs, which a Node Worker cannot load (ERR_WORKER_PATH), and its feature test
 * says no to threads in Node. While the backend starts, this module:
 * - turns the feature test on (`WASM_HAS_MULTITHREAD_SUPPORT`);
 * - records the text of the Blobs tfjs makes (`Blob`, `URL.createObjectURL`), so that a pthread Worker gets
 *   the worker script as code to evaluate, and the factory text in place of the Blob in its `load` message;
 * - reports `2 * threads` cores (`os.cpus`), since the build takes at most half the cores it is told of;
 * - swaps `worker_threads.Worker` for a subclass Emscripten takes then; pthread Workers never hold the
 *   process open (idle pool threads would otherwise keep Node from exiting).
 * Everything but that subclass (which only Emscripten holds) is put back once the backend has started.
 */
import os from 'node:os';
import workerThreads from 'node:worker_threads';

import * as tf from '@tensorflow/tfjs-core';
import { getThreadsCount, setThreadsCount } from '@tensorflow/tfjs-backend-wasm';

/** What a pthread Worker runs (as `eval` code): defines what the factory's text refers to, then runs
 * Emscripten's worker script, whose `load` handler evaluates the factory text posted with the message. */
const PTHREAD_BOOTSTRAP = `
const { parentPort, workerData } = require('node:worker_threads');
// The bundled factory refers to these module-level names of tfjs-backend-wasm's Node build.
Object.assign(globalThis, { require$$0: require('fs'), require$$1: require('path'), require$$3: require('perf_hooks'), require$$4: require('os'), commonjsGlobal: globalThis });
let factory;
const listen = parentPort.on.bind(parentPort);
parentPort.on = (event, listener) => listen(event, event !== 'message' ? listener : (data) => {
  if (data && data.cmd === 'load' && typeof data.edetFactory === 'string') { factory = data.edetFactory; data.urlOrBlob = 'edet-factory'; }
  listener(data);
});
(0, eval)(workerData.script);
// (Not named importScripts: a global lexical binding would shadow the global property the script calls.)
const scriptImports = globalThis.importScripts;
globalThis.importScripts = (file) => (file === 'edet-factory' ? (0, eval)(factory) : scriptImports(file));
`;

/** The worker script and the factory text, as tfjs put them in Blobs (the first of each seen). */
const texts = { script: undefined as string | undefined, factory: undefined as string | undefined };

const NodeWorker = workerThreads.Worker;

/** The Worker Emscripten makes pthreads with: Blob URLs become evaluated code, and it never holds the process open. */
class PthreadWorker extends NodeWorker {
  constructor(filename: string | URL, options?: workerThreads.WorkerOptions) {
    const blob = typeof filename === 'string' && filename.startsWith('blob:');
    if (blob && texts.script === undefined) throw new Error('tfjs-backend-wasm: the pthread worker script was not recorded');
    super(blob ? PTHREAD_BOOTSTRAP : filename, blob ? { ...options, eval: true, workerData: { script: texts.script } } : options);
    this.unref();
  }

  override ref(): void {
    // Emscripten refs a Worker while its pthread runs; XNNPACK's pool threads run for good.
  }

  override postMessage(message: unknown, transfer?: readonly workerThreads.TransferListItem[]): void {
    const load = message as { cmd?: string; urlOrBlob?: unknown } | null;
    if (load?.cmd === 'load' && load.urlOrBlob instanceof Blob) message = { ...load, edetFactory: texts.factory };
    super.postMessage(message, transfer);
  }
}

/** The text of a Blob made of strings, by its URL, recorded while the backend starts. */
function recordBlobTexts(): () => void {
  const NodeBlob = globalThis.Blob;
  const createObjectURL = URL.createObjectURL;
  const blobTexts = new WeakMap<Blob, string>();
  globalThis.Blob = class RecordingBlob extends NodeBlob {
    constructor(parts?: BlobPart[], options?: BlobPropertyBag) {
      super(parts, options);
      if (Array.isArray(parts) && parts.every((part) => typeof part === 'string')) {
        const text = parts.join('');
        blobTexts.set(this, text);
        // The factory goes to a Worker inside a message; the worker script, by URL.
        if (text.startsWith('var WasmBackendModuleThreadedSimd')) texts.factory ??= text;
      }
    }
  };
  URL.createObjectURL = (blob: Blob) => {
    const text = blobTexts.get(blob);
    if (text !== undefined && text !== texts.factory) texts.script ??= text;
    return createObjectURL(blob);
  };
  return () => {
    globalThis.Blob = NodeBlob;
    URL.createObjectURL = createObjectURL;
  };
}

/**
 * Starts tfjs's wasm backend in Node on its threaded build with `threads` threads (the calling thread and
 * `threads - 1` pool threads), unless the backend has already started (tfjs loads its wasm module once per
 * process: then it keeps the build and thread count it has). Call before any other use of the wasm backend.
 * @returns the thread count in use
 * @throws Error when the backend does not start
 */
export async function startThreadedWasm(threads: number): Promise<number> {
  if (tf.engine().registry.wasm === undefined) {
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
    setThreadsCount(threads);
    const restoreBlobs = recordBlobTexts();
    const cpus = os.cpus;
    os.cpus = () => Array.from({ length: 2 * threads }, () => cpus()[0]);
    (workerThreads as { Worker: typeof NodeWorker }).Worker = PthreadWorker;
    try {
      if (!(await tf.setBackend('wasm'))) throw new Error('the threaded wasm backend did not start (see the warning above)');
    } finally {
      (workerThreads as { Worker: typeof NodeWorker }).Worker = NodeWorker;
      os.cpus = cpus;
      restoreBlobs();
    }
  }
  return getThreadsCount();
}
