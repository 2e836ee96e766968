import { type ModelManifest, parseModelManifest } from '@edet/model';

/**
 * Fetches the bundled model's `model.json` (`MODEL_MANIFEST_PATH`, the `@edet/bccd-d0` package's manifest)
 * and checks it with `@edet/model`'s `checkModelManifest`, the checker the CLI uses too. Returns `null` when
 * there is none: a 404, or a dev server answering with its HTML page instead of a JSON file.
 * @throws FileFormatError for a manifest that exists but is not valid
 */
export async function fetchManifest(url: string): Promise<ModelManifest | null> {
  const response = await fetch(url);
  if (!response.ok || !(response.headers.get('content-type') ?? '').includes('json')) return null;
  return parseModelManifest(await response.text(), url);
}
