// Browser mode only (vitest.browser.config.ts): a few training steps of a small configuration (D0's backbone
// with one BiFPN and one head layer at 128x128, 3 classes, batch 1) through @edet/train's epoch loop, on the
// wasm backend inside a Web Worker, with @edet/train, @edet/data and @edet/model as a browser app bundles them.
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { expect, it } from 'vitest';

import type { TrainStepsReply, TrainStepsRequest } from './fixtures/train-steps-worker.js';

const STEPS = 5;

it('trains a few steps on wasm in a Web Worker, the loss finite and falling on a repeated batch', async () => {
  const worker = new Worker(new URL('./fixtures/train-steps-worker.ts', import.meta.url), { type: 'module' });
  try {
    const reply = await new Promise<TrainStepsReply>((resolve, reject) => {
      worker.addEventListener('message', (event: MessageEvent<TrainStepsReply>) => resolve(event.data));
      worker.addEventListener('error', (event) => reject(new Error(`the worker failed: ${event.message}`)));
      const wasmPaths = {
        'tfjs-backend-wasm.wasm': wasmPlain,
        'tfjs-backend-wasm-simd.wasm': wasmSimd,
        'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedSimd,
      };
      worker.postMessage({ wasmPaths, steps: STEPS } satisfies TrainStepsRequest);
    });
    if ('error' in reply) throw new Error(reply.error);
    expect(reply.backend).toBe('wasm');
    expect(reply.stopped).toBe('complete');
    expect(reply.losses).toHaveLength(STEPS);
    for (const { loss, classificationLoss, boxLoss } of reply.losses) {
      expect([loss, classificationLoss, boxLoss].every(Number.isFinite)).toBe(true);
    }
    expect(reply.losses[STEPS - 1].loss).toBeLessThan(reply.losses[0].loss);
  } finally {
    worker.terminate();
  }
});
