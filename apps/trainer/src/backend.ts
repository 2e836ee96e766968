import * as tf from '@tensorflow/tfjs-core';
import { type BackendName, useBackend } from '@edet/model';
import { cpu } from '@edet/model/backends/cpu';
import { wasm } from '@edet/model/backends/wasm';

/** The tfjs backends that run in Node without native add-ons, fastest first. */
export const NODE_BACKENDS = ['wasm', 'cpu'] as const satisfies readonly BackendName[];

/** A backend the command line can run on. */
export type NodeBackend = (typeof NODE_BACKENDS)[number];

/**
 * Starts a tfjs backend for the command line: the one asked for, or wasm with cpu as the fallback.
 * Production mode first silences tfjs's console advice ("install tfjs-node ...", printed by the cpu
 * backend), which would otherwise break the one-line error and `--json` output contracts; unlike
 * `IS_TEST` it does not add per-kernel memory-leak checks, which would skew the benchmark.
 * @throws NoBackendError listing every backend's failure when none starts
 */
export async function startBackend(requested?: NodeBackend): Promise<NodeBackend> {
  tf.enableProdMode();
  const loaders = { wasm, cpu };
  return (await useBackend((requested === undefined ? NODE_BACKENDS : [requested]).map((name) => loaders[name]))) as NodeBackend;
}
