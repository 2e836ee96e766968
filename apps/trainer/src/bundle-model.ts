import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { basename, isAbsolute, join, relative, resolve } from 'node:path';

import * as tf from '@tensorflow/tfjs-core';
import {
  EfficientDet,
  MODEL_MANIFEST_FILE,
  type ModelEvaluation,
  type ModelManifest,
  checkModelManifest,
  efficientDetPreset,
  letterboxImage,
} from '@edet/model';
import { readSafetensorsHeader } from '@edet/safetensors';

import { parseClassNames } from './classes.js';
import { CliError } from './errors.js';
import { readImageInput, readInputFile } from './files.js';

/** The weights file a bundled model folder holds. */
export const BUNDLED_WEIGHTS_FILE = 'weights.safetensors';

/**
 * How far the F16 copy's outputs may be from the F32 source's, on the check images: class scores are
 * probabilities (after the sigmoid), box outputs are the raw regression deltas (dy, dx, dh, dw per anchor,
 * in anchor units). F16 keeps 11 significant bits, so each weight moves by up to 2^-11 of itself.
 */
export const F16_TOLERANCE = { score: 1e-2, regression: 5e-2 } as const;

/** Options of `bundleModel`. */
export interface BundleModelOptions {
  /** An `edet train` run folder: `best.safetensors` (else `weights.safetensors`), `classes.json`, `checkpoint.json`. */
  run?: string;
  /** The weights to convert (default: from `run`). */
  weights?: string;
  /** Class names: a JSON array or one per line (default: `run/classes.json`, else the weights' `classes` metadata). */
  classes?: string;
  /** The folder to write `weights.safetensors` and `model.json` into (created). */
  out: string;
  /** The model's name, shown by the demo and `edet detect`. */
  name: string;
  /** EfficientDet variant (default: the run's, else 0). */
  compoundCoef?: number;
  /** Input side the model runs at (default: the run's training size, else the variant's, 512 for D0). */
  inputSize?: number;
  /** The training command line, recorded in `model.json`. */
  trainingCommand?: string;
  /** The training data, in words (e.g. `BCCD, apps/trainer/assets/bccd, train split`), recorded in `model.json`. */
  dataset?: string;
  /** An `edet eval --json` report of the bundled weights, recorded in `model.json`. */
  evaluationFile?: string;
  /** The split that report is of (default `val`). */
  evaluationSplit?: string;
  /** Images the copy is checked on (JPEG/PNG files). */
  checkImages: readonly string[];
  /**
   * Precision of the bundled weights (default F16, half the size). F16 must pass `F16_TOLERANCE`; F32 keeps
   * a float32 source exactly, for weights whose outputs F16 moves more than that.
   */
  dtype?: 'F16' | 'F32';
  /** Progress lines. */
  log?: (line: string) => void;
}

/** What `bundleModel` wrote. */
export interface BundleModelResult {
  manifest: ModelManifest;
  weightsFile: string;
  manifestFile: string;
  /** The largest output differences between the source and the copy on the check images. */
  maxScoreDifference: number;
  maxRegressionDifference: number;
}

/** What a run folder's `checkpoint.json` says, as far as bundling cares. */
interface RunCheckpoint {
  config?: Record<string, unknown> & { coef?: number; size?: number };
  progress?: { epoch?: number; step?: number };
  bestMap?: number | null;
}

async function readJson(path: string): Promise<unknown> {
  const text = new TextDecoder('utf-8').decode(await readInputFile(path));
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new CliError(`${path}: invalid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
}

/** The source weights of a run folder: the best checkpoint when validation picked one, else the last. */
function runWeights(run: string): string {
  for (const name of ['best.safetensors', 'weights.safetensors']) {
    const path = join(run, name);
    if (existsSync(path)) return path;
  }
  throw new CliError(`${run}: neither best.safetensors nor weights.safetensors is there (pass --weights FILE)`);
}

/** A path as it reads in the repository (relative to the current folder when inside it). */
function displayPath(path: string): string {
  const inside = relative(process.cwd(), path);
  return inside !== '' && !inside.startsWith('..') && !isAbsolute(inside) ? inside : path;
}

/** The `edet eval --json` report, reduced to named numbers. */
async function readEvaluation(file: string, split: string): Promise<ModelEvaluation> {
  const report = (await readJson(file)) as {
    stats?: unknown;
    statNames?: unknown;
    perClass?: { name: string; stats: number[] }[];
    images?: number;
  };
  const { stats, statNames } = report;
  if (!Array.isArray(stats) || !Array.isArray(statNames) || stats.length !== statNames.length || !Array.isArray(report.perClass)) {
    throw new CliError(`${file}: not an \`edet eval --json\` report (expected stats, statNames and perClass)`);
  }
  return {
    split,
    stats: Object.fromEntries(statNames.map((name, index) => [String(name), Number(stats[index])])),
    perClass: report.perClass.map((row) => ({ name: row.name, AP: row.stats[0], AP50: row.stats[1] })),
    images: Number(report.images),
  };
}

/** Writes through a temporary name and renames, so that a reader never sees half a file. */
async function writeAtomically(path: string, data: Uint8Array | string): Promise<void> {
  const temporary = `${path}.tmp-${process.pid}`;
  await writeFile(temporary, data);
  await rename(temporary, path);
}

/** The largest absolute difference of two tensors' values, read back (neither is disposed). */
function maxAbsDifference(a: tf.Tensor, b: tf.Tensor): number {
  const difference = tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))));
  try {
    return difference.dataSync()[0];
  } finally {
    difference.dispose();
  }
}

/**
 * Converts trained weights to the bundled form: `weights.safetensors` in F16 (half the size; `dtype` F32
 * keeps float32) with the class names in its metadata, and `model.json` (the demo's manifest plus
 * provenance). Before writing, the copy and the source run on the check images and their outputs must
 * agree within `F16_TOLERANCE`.
 * Needs a started tfjs backend. Frees every tensor it makes.
 * @throws CliError / FileFormatError / StateDictError for missing, broken or mismatched inputs, and
 *   CliError when the copy is out of tolerance (then nothing is written)
 */
export async function bundleModel(options: BundleModelOptions): Promise<BundleModelResult> {
  const log = options.log ?? (() => {});
  const run = options.run === undefined ? undefined : resolve(options.run);
  if (run === undefined && options.weights === undefined) throw new CliError('give a run folder or --weights FILE');
  const sourceFile = options.weights === undefined ? runWeights(run!) : resolve(options.weights);
  const sourceBytes = await readInputFile(sourceFile);
  const header = readSafetensorsHeader(sourceBytes, { source: sourceFile });

  const checkpointFile = run === undefined ? undefined : join(run, 'checkpoint.json');
  const checkpoint = checkpointFile !== undefined && existsSync(checkpointFile) ? ((await readJson(checkpointFile)) as RunCheckpoint) : undefined;

  let classNames: string[];
  const classesFile = options.classes ?? (run !== undefined && existsSync(join(run, 'classes.json')) ? join(run, 'classes.json') : undefined);
  if (classesFile !== undefined) {
    classNames = parseClassNames(new TextDecoder('utf-8').decode(await readInputFile(classesFile)), classesFile);
  } else if (header.metadata.classes !== undefined) {
    classNames = parseClassNames(header.metadata.classes, `${sourceFile} (metadata "classes")`);
  } else {
    throw new CliError(`no class names: no classes.json beside the weights and no "classes" in ${sourceFile}'s metadata (pass --classes FILE)`);
  }

  const dtype = options.dtype ?? 'F16';
  const compoundCoef = options.compoundCoef ?? (typeof checkpoint?.config?.coef === 'number' ? checkpoint.config.coef : 0);
  // The size the run trained at: batch-norm statistics and the learned box scales belong to it.
  const trainedSize = typeof checkpoint?.config?.size === 'number' ? checkpoint.config.size : undefined;
  const inputSize = options.inputSize ?? trainedSize ?? efficientDetPreset(compoundCoef).inputSize;
  const evaluation = options.evaluationFile === undefined ? null : await readEvaluation(options.evaluationFile, options.evaluationSplit ?? 'val');
  const images = [];
  for (const file of options.checkImages) images.push({ file, ...(await readImageInput(file)) });
  if (images.length === 0) throw new CliError('no check images');

  log(`source: ${displayPath(sourceFile)} (${header.entries[0]?.dtype ?? 'empty'}, ${sourceBytes.length} bytes), ${classNames.length} classes: ${classNames.join(', ')}`);
  const config = { compoundCoef, numClasses: classNames.length, inputSize };
  const source = new EfficientDet(config);
  const converted = new EfficientDet(config);
  let halfBytes: Uint8Array;
  let maxScoreDifference = 0;
  let maxRegressionDifference = 0;
  try {
    const { layout } = source.loadSafetensors(sourceBytes, { source: sourceFile });
    const metadata: Record<string, string> = {
      name: options.name,
      classes: JSON.stringify(classNames),
      converted_from: `${basename(sourceFile)} (${header.entries[0]?.dtype ?? '?'}, ${layout} keys)`,
    };
    if (header.metadata.edet_train !== undefined) metadata.edet_train = header.metadata.edet_train;
    if (options.dataset !== undefined) metadata.dataset = options.dataset;
    halfBytes = await source.saveSafetensors({ dtype, metadata });
    // Values F16 cannot hold become infinite: let them load, so the comparison below reports them as out of tolerance.
    converted.loadSafetensors(halfBytes, { source: `the ${dtype} copy`, allowNonFinite: true });

    for (const { file, image } of images) {
      const { input } = letterboxImage(image, inputSize);
      try {
        const outputsA = source.forward(input, { channelsLast: true });
        const outputsB = converted.forward(input, { channelsLast: true });
        try {
          const [scoresA, boxesA] = outputsA;
          const [scoresB, boxesB] = outputsB;
          const scoreDifference = maxAbsDifference(scoresA, scoresB);
          const regressionDifference = maxAbsDifference(boxesA, boxesB);
          // NaN (an overflow to infinity in F16) fails every comparison: count it as out of tolerance.
          maxScoreDifference = Math.max(maxScoreDifference, Number.isNaN(scoreDifference) ? Infinity : scoreDifference);
          maxRegressionDifference = Math.max(maxRegressionDifference, Number.isNaN(regressionDifference) ? Infinity : regressionDifference);
          log(`check ${basename(file)}: max |score copy - source| ${scoreDifference.toExponential(2)}, max |box delta copy - source| ${regressionDifference.toExponential(2)}`);
        } finally {
          tf.dispose([...outputsA, ...outputsB]);
        }
      } finally {
        input.dispose();
      }
    }
  } finally {
    source.dispose();
    converted.dispose();
  }
  if (!(maxScoreDifference <= F16_TOLERANCE.score && maxRegressionDifference <= F16_TOLERANCE.regression)) {
    throw new CliError(
      `the ${dtype} copy is out of tolerance: max score difference ${maxScoreDifference} (allowed ${F16_TOLERANCE.score}), ` +
        `max box-delta difference ${maxRegressionDifference} (allowed ${F16_TOLERANCE.regression}); nothing written`,
    );
  }

  const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
  // Written only once the one manifest checker (which the CLI, the demo and @edet/bccd-d0 use) accepts it.
  const manifest: ModelManifest = checkModelManifest({
    name: options.name,
    weights: BUNDLED_WEIGHTS_FILE,
    compoundCoef,
    labels: classNames,
    inputSize,
    dtype,
    trainingCommand: options.trainingCommand ?? null,
    dataset: options.dataset ?? null,
    evaluation,
    source: {
      file: basename(sourceFile),
      sha256: sha256(sourceBytes),
      ...(header.metadata.edet_train === undefined ? {} : { checkpoint: header.metadata.edet_train }),
      ...(checkpoint?.config === undefined ? {} : { trainConfig: { ...checkpoint.config, data: typeof checkpoint.config.data === 'string' ? basename(checkpoint.config.data) : checkpoint.config.data } }),
      // The run's best validation mAP is these weights' only when they are the best checkpoint.
      ...(basename(sourceFile) === 'best.safetensors' && typeof checkpoint?.bestMap === 'number' ? { bestValMap: checkpoint.bestMap } : {}),
    },
    conversion: {
      from: header.entries[0]?.dtype ?? null,
      to: dtype,
      sha256: sha256(halfBytes),
      checkImages: images.map(({ file }) => basename(file)),
      maxScoreDifference,
      maxRegressionDifference,
      tolerance: { ...F16_TOLERANCE },
    },
  } satisfies ModelManifest, MODEL_MANIFEST_FILE);

  const out = resolve(options.out);
  await mkdir(out, { recursive: true });
  const weightsFile = join(out, BUNDLED_WEIGHTS_FILE);
  const manifestFile = join(out, MODEL_MANIFEST_FILE);
  await writeAtomically(weightsFile, halfBytes);
  await writeAtomically(manifestFile, `${JSON.stringify(manifest, null, 2)}\n`);
  log(`wrote ${displayPath(weightsFile)} (${dtype}, ${halfBytes.length} bytes) and ${displayPath(manifestFile)}`);
  return { manifest, weightsFile, manifestFile, maxScoreDifference, maxRegressionDifference };
}
