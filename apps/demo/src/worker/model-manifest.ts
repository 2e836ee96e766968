import { FileFormatError } from '@edet/tensor';

/**
 * The bundled model's `model.json` (`MODEL_MANIFEST_PATH`): describes the weights, so that labels and
 * architecture travel with them. The same file the CLI reads (`apps/trainer/src/bundled-model.ts`), which
 * adds provenance fields that the demo ignores. Example:
 * `{ "name": "EfficientDet-D0 BCCD", "weights": "weights.safetensors", "compoundCoef": 0, "inputSize": 512, "labels": ["RBC", "WBC", "Platelets"] }`.
 */
export interface ModelManifest {
  /** Shown on the page. */
  name: string;
  /** The safetensors file, relative to the manifest. */
  weights: string;
  /** EfficientDet variant the weights are for (0 = D0). */
  compoundCoef: number;
  /** One name per class id; its length is the number of classes. */
  labels: string[];
  /** False for weights that are not trained (the page then says so). Default true. */
  trained?: boolean;
  /** The square input side the model runs at (default: the variant's, 512 for D0). */
  inputSize?: number;
}

/**
 * Fetches the manifest. Returns `null` when there is none: a 404, or a dev server answering with its HTML
 * page instead of a JSON file.
 * @throws FileFormatError for a manifest that exists but is not valid
 */
export async function fetchManifest(url: string): Promise<ModelManifest | null> {
  const response = await fetch(url);
  if (!response.ok || !(response.headers.get('content-type') ?? '').includes('json')) return null;
  let manifest: unknown;
  try {
    manifest = await response.json();
  } catch (error) {
    throw new FileFormatError(url, `not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  return checkManifest(manifest, url);
}

function checkManifest(value: unknown, url: string): ModelManifest {
  const manifest = value as Partial<ModelManifest> | null;
  const problem = (what: string) => new FileFormatError(url, what);
  if (manifest === null || typeof manifest !== 'object') throw problem('expected a JSON object');
  if (typeof manifest.weights !== 'string' || manifest.weights === '') throw problem('"weights" must name the safetensors file');
  if (!Number.isInteger(manifest.compoundCoef)) throw problem('"compoundCoef" must be an integer (0 for D0)');
  if (!Array.isArray(manifest.labels) || manifest.labels.length === 0 || !manifest.labels.every((label) => typeof label === 'string')) {
    throw problem('"labels" must be a non-empty array of class names');
  }
  if (manifest.inputSize !== undefined && !(Number.isInteger(manifest.inputSize) && manifest.inputSize > 0)) {
    throw problem('"inputSize" must be a positive integer');
  }
  return {
    name: typeof manifest.name === 'string' ? manifest.name : manifest.weights,
    weights: manifest.weights,
    compoundCoef: manifest.compoundCoef as number,
    labels: manifest.labels,
    trained: manifest.trained ?? true,
    inputSize: manifest.inputSize,
  };
}
