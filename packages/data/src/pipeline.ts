import type { InputSize, Normalization, RgbImage } from '@edet/model';

import { type AugmentConfig, DEFAULT_AUGMENT, NO_AUGMENTATION, drawAugmentation } from './augment.js';
import type { Sample } from './dataset.js';
import { type Placement, augmentedPlacement, inputFrame, placeBoxes } from './placement.js';
import { prefetch } from './prefetch.js';
import { renderImage } from './render.js';
import { shuffledIndices, streamOf } from './random.js';

/** A batch ready for the model: NHWC input pixels and per-image boxes in input pixels. */
export interface Batch {
  epoch: number;
  /** Batch number within the epoch, from 0. */
  index: number;
  samples: Sample[];
  /** `[batch, height, width, 3]` (the input frame of `size`), normalised. */
  pixels: Float32Array;
  /** The network input size: a square side or `[height, width]`. */
  size: InputSize;
  /** Per image, rows `[x1, y1, x2, y2, classId]` in input pixels. */
  boxes: number[][][];
  /** Per image, where it sits in the input (to map predictions back to the image). */
  placements: Placement[];
}

/**
 * Reads and decodes one sample's image: a file in Node (`readImageFile` of `@edet/data/node`), a fetch or an
 * `ImageBitmap` in a browser. The pixels must be the image the sample's boxes describe.
 */
export type ImageReader = (sample: Sample) => Promise<RgbImage>;

/** How batches are made. */
export interface PipelineOptions {
  /** The network input size: a square side or `[height, width]` (the model's `inputSize`). */
  size: InputSize;
  /** The model's input normalisation (`config.normalization`: `symmetric` for Lite); default `imagenet`. */
  normalization?: Normalization;
  batchSize: number;
  /** The run's seed: it fixes the order of every epoch and every augmentation. */
  seed: number;
  /** Random flips, scale/crop and colour jitter (training); off gives the plain letterbox (evaluation). */
  augment: boolean;
  augmentConfig?: AugmentConfig;
  /** Visit samples in a new random order each epoch (training), or in dataset order. */
  shuffle: boolean;
  /** Leave out the last, smaller batch (training keeps every step the same size). */
  dropLast: boolean;
  /** Batches prepared ahead of the one being used (default 3). */
  lookahead?: number;
}

/** Pipeline options with the image reader, as the isomorphic `loadBatch` and `streamEpoch` take them. */
export interface ImagePipelineOptions extends PipelineOptions {
  readImage: ImageReader;
}

/** Number of batches in an epoch. */
export function batchesPerEpoch(samples: number, batchSize: number, dropLast: boolean): number {
  return dropLast ? Math.floor(samples / batchSize) : Math.ceil(samples / batchSize);
}

/** The sample indices of every batch of `epoch`: a seeded shuffle (or dataset order), cut into batches. */
export function epochBatches(samples: number, epoch: number, options: Pick<PipelineOptions, 'batchSize' | 'seed' | 'shuffle' | 'dropLast'>): number[][] {
  const order = options.shuffle ? shuffledIndices(samples, streamOf(options.seed, 'shuffle', epoch)) : Array.from({ length: samples }, (_, i) => i);
  const count = batchesPerEpoch(samples, options.batchSize, options.dropLast);
  return Array.from({ length: count }, (_, b) => order.slice(b * options.batchSize, (b + 1) * options.batchSize));
}

/** Reads, decodes and renders one sample into `pixels` at image slot `slot`. */
async function loadInto(
  sample: Sample,
  slot: number,
  pixels: Float32Array,
  size: InputSize,
  augmentation: ReturnType<typeof drawAugmentation>,
  readImage: ImageReader,
  normalization: Normalization | undefined,
): Promise<{ boxes: number[][]; placement: Placement }> {
  const image = await readImage(sample);
  const placement = augmentedPlacement(image.width, image.height, size, augmentation.placement);
  const [height, width] = inputFrame(size);
  renderImage(image, placement, augmentation.jitter, pixels, slot * height * width * 3, normalization);
  // Boxes were checked against the declared size; the decoded one is what the pixels are.
  const scaled = rescaleIfNeeded(sample, image.width, image.height);
  return { boxes: placeBoxes(scaled, placement), placement };
}

/** Boxes of a sample whose declared size differs from the decoded one, scaled to the decoded size. */
function rescaleIfNeeded(sample: Sample, width: number, height: number): number[][] {
  if (sample.width <= 0 || sample.height <= 0 || (sample.width === width && sample.height === height)) return sample.boxes;
  const sx = width / sample.width;
  const sy = height / sample.height;
  return sample.boxes.map(([x1, y1, x2, y2, c]) => [x1 * sx, y1 * sy, x2 * sx, y2 * sy, c]);
}

/**
 * Builds one batch of the given sample indices: each image read with `options.readImage`, placed (with the
 * sample's seeded augmentation when `options.augment`) and rendered into `pixels`, its boxes mapped with it.
 * @throws DataError naming `size` when `options.size` is not an input size
 */
export async function loadBatch(samples: readonly Sample[], indices: readonly number[], epoch: number, index: number, options: ImagePipelineOptions): Promise<Batch> {
  const { size } = options;
  const [height, width] = inputFrame(size);
  const pixels = new Float32Array(indices.length * height * width * 3);
  const loaded = await Promise.all(
    indices.map((sampleIndex, slot) => {
      const augmentation = options.augment
        ? drawAugmentation(streamOf(options.seed, 'augment', epoch, sampleIndex), options.augmentConfig ?? DEFAULT_AUGMENT)
        : NO_AUGMENTATION;
      return loadInto(samples[sampleIndex], slot, pixels, size, augmentation, options.readImage, options.normalization);
    }),
  );
  return {
    epoch,
    index,
    samples: indices.map((i) => samples[i]),
    pixels,
    size,
    boxes: loaded.map((l) => l.boxes),
    placements: loaded.map((l) => l.placement),
  };
}

/**
 * The batches of one epoch from batch `startBatch` on (a resumed epoch skips the ones already done; the
 * order and augmentations do not depend on where the run started), prepared `lookahead` batches ahead.
 * @throws DataError naming `size` when `options.size` is not an input size
 */
export function streamEpoch(samples: readonly Sample[], epoch: number, startBatch: number, options: ImagePipelineOptions): AsyncGenerator<Batch, void, undefined> {
  // A bad size fails here, not when the first batch is awaited.
  inputFrame(options.size);
  const plan = epochBatches(samples.length, epoch, options);
  const tasks = plan.slice(startBatch).map((indices, i) => () => loadBatch(samples, indices, epoch, startBatch + i, options));
  return prefetch(tasks, options.lookahead ?? 3);
}
