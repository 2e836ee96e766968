import { createReadStream, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';

import type { Plugin } from 'vite';

/** A folder outside `public/` to publish under `url` (relative to the site's base, ending in `/`). */
export interface StaticDirectory {
  url: string;
  directory: string;
  /** Which file names to publish. */
  include: (name: string) => boolean;
}

const CONTENT_TYPES: Record<string, string> = {
  // `application/wasm` lets the browser compile while it downloads (WebAssembly.instantiateStreaming).
  '.wasm': 'application/wasm',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
  '.md': 'text/markdown; charset=utf-8',
  // The demo takes a model manifest only when it is served as JSON.
  '.json': 'application/json',
  '.safetensors': 'application/octet-stream',
};

/**
 * Publishes files that live in other packages without copying them into the repository: the dev server
 * serves them, and `vite build` emits them, under fixed names (no content hash), into the output. Used for
 * tfjs's `.wasm` files (`setWasmPaths` takes a folder and appends fixed names), the CLI's sample images and
 * its bundled model.
 */
export function staticDirectories(directories: readonly StaticDirectory[]): Plugin {
  const filesOf = (entry: StaticDirectory) =>
    readdirSync(entry.directory).filter((name) => entry.include(name) && statSync(join(entry.directory, name)).isFile());
  return {
    name: 'edet:static-directories',
    configureServer(server) {
      server.middlewares.use((request, response, next) => {
        const path = decodeURIComponent((request.url ?? '').split('?')[0]);
        const base = server.config.base;
        for (const entry of directories) {
          const prefix = `${base}${entry.url}`;
          if (!path.startsWith(prefix)) continue;
          const name = path.slice(prefix.length);
          if (!filesOf(entry).includes(name)) continue;
          response.setHeader('Content-Type', CONTENT_TYPES[extname(name)] ?? 'application/octet-stream');
          createReadStream(join(entry.directory, name)).pipe(response);
          return;
        }
        next();
      });
    },
    generateBundle() {
      for (const entry of directories) {
        for (const name of filesOf(entry)) {
          this.emitFile({ type: 'asset', fileName: `${entry.url}${name}`, source: readFileSync(join(entry.directory, name)) });
        }
      }
    },
  };
}
