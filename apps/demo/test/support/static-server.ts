import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';

import { CROSS_ORIGIN_ISOLATION_HEADERS } from '../../vite/isolation-headers.js';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.jpg': 'image/jpeg',
  '.png': 'image/png',
  '.md': 'text/markdown; charset=utf-8',
};

/** A static file server on 127.0.0.1 and a free port. */
export interface StaticServer {
  /** `http://127.0.0.1:PORT/` */
  url: string;
  close(): Promise<void>;
}

/** Options of `serveDirectory`. */
export interface ServeOptions {
  /** URL path prefixes (`models/`) answered with a 404, as a site deployed without those files would. */
  hide?: readonly string[];
  /** Send the cross-origin isolation headers (COOP/COEP) with every file, as the demo asks of its host. Default true. */
  isolated?: boolean;
}

/**
 * Serves the files of `root` (a built site), as any static host would: no SPA fallback, so a missing file
 * is a 404 (the demo relies on that to notice that no model manifest is deployed).
 */
export async function serveDirectory(root: string, options: ServeOptions = {}): Promise<StaticServer> {
  const base = normalize(root + sep);
  const hidden = (options.hide ?? []).map((prefix) => `/${prefix.replace(/^\/+/, '')}`);
  const isolation = (options.isolated ?? true) ? CROSS_ORIGIN_ISOLATION_HEADERS : {};
  const server = createServer(async (request, response) => {
    const path = decodeURIComponent(new URL(request.url ?? '/', 'http://localhost').pathname);
    const file = normalize(join(base, path.endsWith('/') ? `${path}index.html` : path));
    try {
      if (!file.startsWith(base)) throw new Error('outside the root');
      if (hidden.some((prefix) => path.startsWith(prefix))) throw new Error('hidden');
      const bytes = await readFile(file);
      response.writeHead(200, { 'Content-Type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream', ...isolation });
      response.end(bytes);
    } catch {
      response.writeHead(404, { 'Content-Type': 'text/plain' });
      response.end('not found');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}
