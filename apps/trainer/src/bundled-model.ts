import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { FileFormatError } from '@edet/tensor';

/**
 * The model `edet detect` and `edet eval` use when no `--weights` is given: EfficientDet-D0 trained on the
 * bundled BCCD dataset. Like `SAMPLES_DIRECTORY`, the path works from `src/` (tests) and `dist/` (the CLI).
 * The web demo publishes the same folder (see `apps/demo/vite.config.ts`).
 */
export const BUNDLED_MODEL_DIRECTORY = fileURLToPath(new URL('../assets/models/bccd-d0/', import.meta.url));

/** The manifest's file name inside a model folder. */
export const MODEL_MANIFEST_FILE = 'model.json';

/** The 12 COCO numbers of an `edet eval --json` report, by name, for one split. */
export interface ModelEvaluation {
  split: string;
  /** `AP`, `AP50`, ... `ARl` (as `edet eval` names them); -1 where nothing could be measured. */
  stats: Record<string, number>;
  /** Per class: AP and AP50. */
  perClass: { name: string; AP: number; AP50: number }[];
  images: number;
}

/**
 * `model.json`: what a bundled weights file is. The first five fields are the web demo's `ModelManifest`
 * (`apps/demo/src/worker/model-manifest.ts`), so the demo reads this very file; the rest is provenance,
 * written by `scripts/bundle-model.mjs` (`null` until known).
 */
export interface ModelManifest {
  /** Shown by the demo and `edet detect`. */
  name: string;
  /** The safetensors file, relative to the manifest. */
  weights: string;
  /** EfficientDet variant (0 = D0). */
  compoundCoef: number;
  /** One name per class id; its length is the number of classes. */
  labels: string[];
  /** False for weights that are not trained (the demo then says so). Default true. */
  trained?: boolean;
  /** The square input side the model runs at (letterboxed). */
  inputSize: number;
  /** Float precision of the weights file. */
  dtype?: 'F32' | 'F16' | 'BF16';
  /** The command line that trained the weights. */
  trainingCommand?: string | null;
  /** The data the weights were trained on, in words. */
  dataset?: string | null;
  /** `edet eval` on a held-out split, of the bundled (converted) weights. */
  evaluation?: ModelEvaluation | null;
  /** Where the weights came from, as the bundling script found them. */
  source?: Record<string, unknown>;
  /** The check of the converted weights against the source, as the bundling script measured it. */
  conversion?: Record<string, unknown>;
}

/** A model folder: its manifest and the weights file it names. */
export interface BundledModel {
  manifest: ModelManifest;
  /** Absolute path of the weights file. */
  weightsFile: string;
  /** Absolute path of `model.json`. */
  manifestFile: string;
}

/**
 * Checks a parsed `model.json`.
 * @param source the file name, for error messages
 * @throws FileFormatError naming the first field that is missing or of the wrong type
 */
export function checkModelManifest(value: unknown, source: string): ModelManifest {
  const problem = (what: string) => new FileFormatError(source, what);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw problem('expected a JSON object');
  const manifest = value as Partial<ModelManifest>;
  if (typeof manifest.name !== 'string' || manifest.name === '') throw problem('"name" must be a non-empty string');
  if (typeof manifest.weights !== 'string' || manifest.weights === '') throw problem('"weights" must name the safetensors file');
  if (!Number.isInteger(manifest.compoundCoef) || (manifest.compoundCoef as number) < 0) {
    throw problem('"compoundCoef" must be an integer >= 0 (0 for D0)');
  }
  if (!Number.isInteger(manifest.inputSize) || (manifest.inputSize as number) <= 0 || (manifest.inputSize as number) % 128 !== 0) {
    throw problem('"inputSize" must be a positive multiple of 128');
  }
  if (!Array.isArray(manifest.labels) || manifest.labels.length === 0 || !manifest.labels.every((label) => typeof label === 'string')) {
    throw problem('"labels" must be a non-empty array of class names');
  }
  if (manifest.trained !== undefined && typeof manifest.trained !== 'boolean') throw problem('"trained" must be true or false');
  return manifest as ModelManifest;
}

/**
 * Reads the model folder's `model.json`. Returns `undefined` when the folder has none (the CLI then falls
 * back to untrained weights, and says so).
 * @throws FileFormatError for a manifest that exists but is not valid
 */
export async function readBundledModel(directory: string = BUNDLED_MODEL_DIRECTORY): Promise<BundledModel | undefined> {
  const manifestFile = join(directory, MODEL_MANIFEST_FILE);
  let text: string;
  try {
    text = await readFile(manifestFile, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new FileFormatError(manifestFile, `cannot be read (${error instanceof Error ? error.message : String(error)})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new FileFormatError(manifestFile, `invalid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  const manifest = checkModelManifest(parsed, manifestFile);
  return { manifest, weightsFile: join(directory, manifest.weights), manifestFile };
}
