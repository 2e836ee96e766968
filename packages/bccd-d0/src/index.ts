// The bundled BCCD model, isomorphic part: the manifest, the labels and the URLs of the files. Bundlers
// (vite, esbuild, webpack) and Node both resolve `new URL('../<file>', import.meta.url)` to the files that
// ship beside `dist/`; `@edet/bccd-d0/node` reads them from disk.
import { type ModelManifest, checkModelManifest } from '@edet/model';

import manifestJson from '../model.json' with { type: 'json' };

/** A file of the bundled model could not be fetched or read. */
export class BccdD0Error extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** The manifest (`model.json`): name, weights file, D0, 512 input, labels, evaluation and provenance. */
export const BCCD_D0_MANIFEST: ModelManifest = checkModelManifest(manifestJson, '@edet/bccd-d0/model.json');

/** The class names, class id = index: `['RBC', 'WBC', 'Platelets']`. */
export const BCCD_D0_LABELS: readonly string[] = Object.freeze([...BCCD_D0_MANIFEST.labels]);

/** URL of `model.json` (a `file:` URL in Node; an asset URL once bundled for a browser). */
export const BCCD_D0_MANIFEST_URL: URL = new URL('../model.json', import.meta.url);

/** URL of the weights file the manifest names (`weights.safetensors`, F32, official key layout). */
export const BCCD_D0_WEIGHTS_URL: URL = new URL('../weights.safetensors', import.meta.url);

/**
 * Fetches the weights file's bytes from `BCCD_D0_WEIGHTS_URL` (browsers and workers; in Node, where `fetch`
 * does not read `file:` URLs, use `readBccdD0Weights` from `@edet/bccd-d0/node`).
 * @param url where the file is served, when not beside the bundle (default `BCCD_D0_WEIGHTS_URL`)
 * @returns a new array the caller owns
 * @throws BccdD0Error when the response is not 200
 */
export async function fetchBccdD0Weights(url: string | URL = BCCD_D0_WEIGHTS_URL): Promise<Uint8Array> {
  const response = await fetch(url);
  if (!response.ok) throw new BccdD0Error(`${String(url)}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}
