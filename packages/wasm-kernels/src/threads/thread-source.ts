import { runClaimedChunks } from './claimed-chunks.js';

/** What a pool thread is sent once, as its first message. */
export interface ThreadInit {
  /** The kernels' module, compiled for a shared memory. */
  module: WebAssembly.Module;
  /** The wasm backend's shared memory. */
  memory: WebAssembly.Memory;
  /** The job block's buffer. */
  job: SharedArrayBuffer;
  /** The module's exports by function index. */
  names: string[];
  /** This thread's index (from 1; 0 is the owner). */
  thread: number;
}

/** Milliseconds a pool thread keeps watching for a job after its last chunk, before it sleeps. */
export const POOL_WATCH_MS = 0.2;

/**
 * The script of a pool thread, for a Node worker (`eval`) and a browser worker (a Blob URL) alike. It
 * instantiates the kernels on the shared memory, says `'ready'`, then sleeps on the job block's `WAKE` word
 * and runs chunks of each job it is woken for, forever (the owner unrefs or terminates it). After a job it
 * watches the word for `POOL_WATCH_MS` before it sleeps again, so that jobs posted back to back find it awake.
 */
export function threadSource(): string {
  return `'use strict';
const runClaimedChunks = ${runClaimedChunks.toString()};
function start(init, reply) {
  const exports = new WebAssembly.Instance(init.module, { env: { memory: init.memory } }).exports;
  const fns = init.names.map((name) => exports[name]);
  const job = new Int32Array(init.job);
  reply('ready');
  for (;;) {
    const seen = Atomics.load(job, 0);
    runClaimedChunks(job, fns, init.thread);
    // Watch for the next job a moment before sleeping: a forward pass posts its jobs tens of microseconds
    // apart, and waking a sleeping thread costs the poster a system call each time (about 20 us on a VM).
    const watchUntil = performance.now() + ${POOL_WATCH_MS};
    while (Atomics.load(job, 0) === seen && performance.now() < watchUntil);
    Atomics.wait(job, 0, seen);
  }
}
if (typeof require === 'function') {
  const { parentPort } = require('node:worker_threads');
  parentPort.once('message', (init) => start(init, (message) => parentPort.postMessage(message)));
} else {
  self.onmessage = (event) => start(event.data, (message) => self.postMessage(message));
}
`;
}
