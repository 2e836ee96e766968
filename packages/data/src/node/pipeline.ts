import type { Batch, ImageReader, PipelineOptions } from '../pipeline.js';
import { loadBatch as loadBatchWith, streamEpoch as streamEpochWith } from '../pipeline.js';
import type { Sample } from '../dataset.js';
import { readImageFile } from './read-image-file.js';

/** Pipeline options in Node: the image reader defaults to `readImageFile` (image files on disk). */
export type NodePipelineOptions = PipelineOptions & { readImage?: ImageReader };

/** `loadBatch` of `@edet/data` reading image files (unless `options.readImage` says otherwise). */
export function loadBatch(samples: readonly Sample[], indices: readonly number[], epoch: number, index: number, options: NodePipelineOptions): Promise<Batch> {
  return loadBatchWith(samples, indices, epoch, index, { ...options, readImage: options.readImage ?? readImageFile });
}

/** `streamEpoch` of `@edet/data` reading image files (unless `options.readImage` says otherwise). */
export function streamEpoch(samples: readonly Sample[], epoch: number, startBatch: number, options: NodePipelineOptions): AsyncGenerator<Batch, void, undefined> {
  return streamEpochWith(samples, epoch, startBatch, { ...options, readImage: options.readImage ?? readImageFile });
}
