import type { Plugin } from 'vite';

/** tfjs's threaded wasm module (Emscripten's output): `var WasmBackendModuleThreadedSimd = (() => {...})();`, then CommonJS exports. */
const THREADED_MODULE = /[\\/]@tensorflow[\\/]tfjs-backend-wasm[\\/]wasm-out[\\/]tfjs-backend-wasm-threaded-simd\.js$/;
const DECLARATION = 'var WasmBackendModuleThreadedSimd = ';
const EXPORTS = "\nif (typeof exports === 'object' && typeof module === 'object')";

/**
 * Keeps tfjs's pthread workers working in a minified build. tfjs starts each pthread worker on a Blob of
 * `'var WasmBackendModuleThreadedSimd = ' + factory.toString()`: the factory's own text, run alone. The
 * minifier rewrites that text as if it stayed inside its closure (Emscripten's guarded
 * `typeof _scriptDir !== "undefined" && _scriptDir` becomes a bare `e`), so the workers throw
 * `e is not defined` and the network never runs. This gives the factory a `toString` that returns
 * Emscripten's original expression; the page's own thread still runs the bundled code.
 */
export function tfjsThreadedFactory(): Plugin {
  return {
    name: 'edet:tfjs-threaded-factory',
    enforce: 'pre',
    transform(code, id) {
      if (!THREADED_MODULE.test(id.split('?')[0])) return null;
      const start = code.indexOf(DECLARATION);
      const end = code.indexOf(EXPORTS);
      if (start === -1 || end === -1 || end < start) {
        throw new Error(`${id}: not the Emscripten module layout this plugin expects (a tfjs-backend-wasm upgrade?)`);
      }
      const original = code.slice(start + DECLARATION.length, end).trim().replace(/;$/, '');
      const toString = `\nWasmBackendModuleThreadedSimd.toString = () => ${JSON.stringify(original)};\n`;
      return { code: code.slice(0, end) + toString + code.slice(end), map: null };
    },
  };
}
