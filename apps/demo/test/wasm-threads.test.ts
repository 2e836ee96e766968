import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { runInNewContext } from 'node:vm';

import { describe, expect, it } from 'vitest';

import { MAX_WASM_THREADS } from '../src/config.js';
import { requestedThreads } from '../src/page/thread-choice.js';
import { wasmThreadCount } from '../src/worker/wasm-threads.js';
import { CROSS_ORIGIN_ISOLATION_HEADERS } from '../vite/isolation-headers.js';
import { tfjsThreadedFactory } from '../vite/tfjs-threaded-factory.js';

// How many threads the wasm backend gets, and the build step that keeps tfjs's pthread workers alive in a
// minified bundle, in Node (the page test checks the threads in Chromium).

describe('the wasm thread count', () => {
  it('takes ?threads=N for a whole number from 1 up, and nothing else', () => {
    expect(requestedThreads('?backend=wasm&threads=1')).toBe(1);
    expect(requestedThreads('?threads=12')).toBe(12);
    for (const search of ['', '?threads=', '?threads=0', '?threads=-2', '?threads=1.5', '?threads=two', '?threads=02']) expect(requestedThreads(search), search).toBeUndefined();
  });

  it('is one per core (capped) when cross-origin isolated, what the URL asks for if it asks, and 1 otherwise', () => {
    expect(MAX_WASM_THREADS).toBe(8);
    expect(wasmThreadCount(undefined, { isolated: true, cores: 2 })).toBe(2);
    expect(wasmThreadCount(undefined, { isolated: true, cores: 32 })).toBe(8);
    expect(wasmThreadCount(undefined, { isolated: true, cores: undefined })).toBe(1);
    expect(wasmThreadCount(1, { isolated: true, cores: 16 })).toBe(1);
    expect(wasmThreadCount(3, { isolated: true, cores: 2 })).toBe(3);
    expect(wasmThreadCount(64, { isolated: true, cores: 2 })).toBe(8);
    // Without SharedArrayBuffer tfjs runs its single-threaded build, whatever was asked.
    expect(wasmThreadCount(undefined, { isolated: false, cores: 16 })).toBe(1);
    expect(wasmThreadCount(4, { isolated: false, cores: 16 })).toBe(1);
  });

  it('is possible only with both isolation headers', () => {
    expect(CROSS_ORIGIN_ISOLATION_HEADERS).toEqual({ 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' });
  });
});

describe('tfjsThreadedFactory', () => {
  const require = createRequire(import.meta.url);
  const path = require.resolve('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js');
  const source = readFileSync(path, 'utf8');
  const plugin = tfjsThreadedFactory();
  const transform = plugin.transform as (code: string, id: string) => { code: string } | null;

  it("gives tfjs's threaded factory a toString that runs alone, as its pthread workers run it", () => {
    const transformed = transform(source, path);
    expect(transformed).not.toBeNull();
    // As the bundle uses the module: CommonJS, its export is the factory.
    const module = { exports: {} as unknown };
    runInNewContext(transformed!.code, { module, exports: module.exports });
    const factory = module.exports as () => unknown;
    expect(typeof factory).toBe('function');
    // What tfjs puts in the Blob each pthread worker loads, evaluated in a context with nothing else in it.
    const workerScript = `var WasmBackendModuleThreadedSimd = ${factory.toString()}`;
    const context: Record<string, unknown> = {};
    runInNewContext(`${workerScript};\nthis.factory = WasmBackendModuleThreadedSimd;`, context);
    expect(typeof context.factory).toBe('function');
    expect(factory.toString()).toContain('typeof _scriptDir !== "undefined" && _scriptDir');
  });

  it('leaves every other module alone, and fails the build loudly on a layout it does not know', () => {
    expect(transform(source, '/somewhere/else.js')).toBeNull();
    expect(() => transform('module.exports = function () {};', path)).toThrow(/not the Emscripten module layout/);
  });
});
