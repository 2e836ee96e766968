/**
 * The headers that make the page cross-origin isolated (`crossOriginIsolated`): only then do browsers offer
 * SharedArrayBuffer, which tfjs's threaded wasm build needs to run the network on several threads. A host
 * must send them with the page and the worker scripts; same-origin files (the `.wasm`, the model, the
 * samples) need nothing. Sent by the dev and preview servers (`vite.config.ts`) and the tests' server.
 */
export const CROSS_ORIGIN_ISOLATION_HEADERS: Readonly<Record<string, string>> = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};
