/**
 * The messages between the page and the inference worker. Every request carries an `id` and gets exactly
 * one reply with the same `id`: its result, or `error`.
 */
import type { BackendName, InputSize, Letterbox } from '@edet/model';

/** What the page needs to know about the loaded model. */
export interface ModelInfo {
  /** A short name: `untrained D0 (seed 42)`, `untrained tf_efficientdet_lite0 (seed 42)`, the manifest's name, or the loaded file's name. */
  name: string;
  /** False for the seeded models and for weights that say they are untrained: their detections mean nothing. */
  trained: boolean;
  /** True for a seeded model: the stand-in for a bundled model that cannot be loaded, or a model picked by name. */
  standIn: boolean;
  /** The published name the network was built from (`config.model`: a picked preset, a manifest's or a file's `model`). */
  model?: string;
  /** Backbone variant: D0-D7 (8: D7x), or for Lite models the EfficientNet-Lite one. */
  compoundCoef: number;
  numClasses: number;
  inputSize: InputSize;
  /** One name per class id ('' for unused ids). */
  labels: string[];
  /** What a trained model can detect, in one plain sentence (`modelScopeNotice`), when its manifest says. */
  scope?: string;
}

/** The backend the worker started and why any earlier choice was passed over. */
export interface BackendInfo {
  requested: BackendName;
  active: BackendName;
  /** One entry per backend that failed before `active` started. */
  failures: { backend: string; reason: string }[];
  /** wasm only: the threads XNNPACK runs the network on (1 unless the page is cross-origin isolated). */
  threads?: number;
}

/**
 * The network's candidates for one image, best first (ties: lower anchor index first), before NMS:
 * every anchor scoring above `CANDIDATE_SCORE_THRESHOLD`, at most `MAX_CANDIDATES`.
 */
export interface Candidates {
  /** `[x1, y1, x2, y2]` per candidate in network-input pixels (clipped to the input): NMS works on these. */
  boxes: Float32Array;
  scores: Float32Array;
  classIds: Int32Array;
  /** True when more anchors passed the candidate threshold than were kept. */
  capped: boolean;
}

/** Milliseconds spent in each stage of one detection, measured in the worker. */
export interface StageTimings {
  /** Pixels out of the bitmap, letterbox, normalise, until the input tensor exists on the backend. */
  preprocessMs: number;
  /** The forward pass, until both head outputs have been computed (a value is read back to be sure). */
  networkMs: number;
  /** Best class per anchor, read back, threshold, decode the boxes, sort, map to the original image. */
  postprocessMs: number;
  totalMs: number;
}

/** The reply to `detect`. */
export interface DetectResult {
  candidates: Candidates;
  imageWidth: number;
  imageHeight: number;
  /** How the image was letterboxed into the network input: maps the candidates' boxes back to the image. */
  letterbox: Letterbox;
  timings: StageTimings;
  /** 1 for the backend's first (warm-up) run, which compiles kernels; then 2, 3, ... */
  run: number;
  /** Live tensors in the worker after the run: stays flat from run to run unless something leaks. */
  tensors: number;
  /** The backend that ran the network. */
  backend: BackendName;
  /** wasm only: on how many threads. */
  threads?: number;
}

/** Page -> worker. */
export type WorkerRequest =
  | {
      type: 'init';
      id: number;
      /** Backends to try, in order (the requested one first). */
      preferences: BackendName[];
      /** Absolute URL of the folder with tfjs's `.wasm` files. */
      wasmPaths: string;
      /** Absolute URL of the bundled model's manifest (`MODEL_MANIFEST_PATH`). */
      manifestUrl: string;
      /** A published name (`PRESET_NAMES`) to build untrained instead of the bundled model. */
      model?: string;
      /** wasm threads asked for (`?threads=N`, a whole number >= 1); none: one per core. Ignored unless cross-origin isolated. */
      threads?: number;
    }
  | { type: 'choose-model'; id: number; model?: string }
  | { type: 'load-weights'; id: number; bytes: ArrayBuffer; name: string }
  | { type: 'detect'; id: number; image: ImageBitmap };

/** Worker -> page. */
export type WorkerReply =
  | {
      type: 'ready';
      id: number;
      backend: BackendInfo;
      model: ModelInfo;
      notice?: string;
      /** The bundled model's name when it is deployed and loads; absent when the stand-in replaces it. */
      bundled?: string;
    }
  | { type: 'model-chosen'; id: number; model: ModelInfo; notice?: string }
  | { type: 'weights-loaded'; id: number; model: ModelInfo }
  | { type: 'detected'; id: number; result: DetectResult }
  | { type: 'error'; id: number; name: string; message: string };
