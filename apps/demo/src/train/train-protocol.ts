/**
 * The messages between the page and the training worker (`train-worker.ts`): one `start` (or `resume`: the
 * run stored in IndexedDB, answered `resumed` first), then `step` reports, `validated` after each epoch when
 * there are validation images, `checkpoint` after each epoch's save, until `done` (or `error`); `stop` asks
 * the worker to end after the step in progress, `pause` to wait (or go on) between steps.
 */
import type { Sample } from '@edet/data';
import type { BackendName } from '@edet/model';

/** What to train and how. */
export interface TrainSettings {
  /** A published name (`PRESET_NAMES`): `tf_efficientdet_lite0`, or `efficientdet-d0` for the bundled BCCD D0. */
  model: string;
  /** URL of weights to start from (the bundled D0's safetensors); none: the preset's seeded weights. */
  initialWeightsUrl?: string;
  /** A safetensors file the user chose to start from (zylo117 or rwightman keys); wins over `initialWeightsUrl`. */
  initialWeightsFile?: File;
  /** Square input side, pixels. */
  inputSize: number;
  classNames: string[];
  steps: number;
  batchSize: number;
  learningRate: number;
  /** Fixes the initial weights, the order of the images and the augmentation. */
  seed: number;
  /** Random flips, scales and crops of the training images (`@edet/data`'s defaults). */
  augment: boolean;
  /** The backend to train on: `wasm` (the default), `webgl` or `webgpu`; no fallback to another. */
  backend: BackendName;
  /** wasm threads asked for (`?threads=N`), or none for one per core; one when the page is not cross-origin isolated. */
  threads?: number;
}

/** Page -> worker. */
export type TrainRequest =
  | {
      type: 'start';
      /** Absolute URL of the folder with tfjs's `.wasm` files. */
      wasmPaths: string;
      settings: TrainSettings;
      /** Training images; `file` is the key of `images`. */
      samples: Sample[];
      /** Validation images (may be empty): evaluated after every epoch (loss, COCO mAP). */
      validation: Sample[];
      /** The uploaded images by name (Files are cloned by reference, not copied). */
      images: Record<string, Blob>;
    }
  | {
      type: 'resume';
      /** Absolute URL of the folder with tfjs's `.wasm` files. */
      wasmPaths: string;
    }
  | { type: 'stop' }
  | { type: 'pause'; paused: boolean };

/** One finished step. */
export interface StepReport {
  /** 1-based. */
  step: number;
  steps: number;
  loss: number;
  classificationLoss: number;
  boxLoss: number;
  learningRate: number;
  /** Seconds the step took (batch preparation excluded). */
  seconds: number;
}

/** A validation of the model (after an epoch, or at the end of a run that ended mid-epoch). */
export interface ValidationReport {
  /** The step it followed. */
  step: number;
  images: number;
  /** Mean loss of the validation images (no augmentation, inference mode). */
  valLoss: number;
  /** COCO mAP@[.5:.95] and mAP@.5 (`@edet/train`'s `validate`), unless the evaluator failed. */
  map?: number;
  map50?: number;
  /** Seconds the validation took. */
  seconds: number;
}

/** Worker -> page. */
export type TrainReply =
  | { type: 'started'; backend: string; threads?: number; notice?: string }
  | ({ type: 'step' } & StepReport)
  | {
      type: 'done';
      /** `complete`, or `interrupt` after a stop. */
      stopped: string;
      steps: number;
      /** The trained weights as safetensors, metadata naming the model, its classes and input size. */
      weights: ArrayBuffer;
      /** Live tensors in the worker once everything was freed. */
      tensors: number;
    }
  | ({ type: 'validated' } & ValidationReport)
  | {
      type: 'resumed';
      /** The stored run's settings. */
      settings: TrainSettings;
      /** Epochs finished and steps made at the checkpoint. */
      epoch: number;
      step: number;
      /** SHA-256 of the trainer state as restored (written again from the model and optimizer). */
      sha256: string;
      /** The run's history up to the checkpoint. */
      steps: StepReport[];
      validations: ValidationReport[];
    }
  | {
      type: 'checkpoint';
      /** Epochs finished and steps made. */
      epoch: number;
      step: number;
      /** SHA-256 of the trainer state saved (weights, batch-norm statistics, optimizer moments). */
      sha256: string;
      /** Seconds the checkpoint took (state read out, hashed, written to IndexedDB). */
      seconds: number;
    }
  | {
      type: 'checkpoint-failed';
      /** Steps made. */
      step: number;
      /** Why IndexedDB refused it (storage full, say); the run goes on. */
      message: string;
    }
  | {
      type: 'paused';
      /** True once the run holds between two steps after a pause; false when it goes on. */
      paused: boolean;
      /** Steps made. */
      step: number;
    }
  | { type: 'error'; name: string; message: string };
