/**
 * Every setting of the demo in one place: where the model comes from, the thresholds and the samples.
 * Shared by the page and the worker, so it imports nothing.
 */

/**
 * The bundled model, relative to the page: a small JSON manifest (`ModelManifest`) that names the
 * safetensors file next to it and carries its labels. It is the CLI's default model, EfficientDet-D0
 * trained on BCCD: the `@edet/bccd-d0` package (`packages/bccd-d0/`) is published under this folder (see
 * `vite.config.ts`), not copied. When the manifest is missing (a 404) or broken, the demo falls back to
 * `UNTRAINED_MODEL`.
 */
export const MODEL_MANIFEST_PATH = 'models/bccd-d0/model.json';

/** The stand-in when no bundled model can be used: D0 with seeded random weights (scores all near 0.01). */
export const UNTRAINED_MODEL = { compoundCoef: 0, numClasses: 90, seed: 42 } as const;

/**
 * A model picked by its published name (`?model=tf_efficientdet_lite0`, the page's model picker) is built as
 * the stand-in is: `EfficientDet.fromPreset(name, UNTRAINED_PRESET)`, seeded random weights for COCO's 90
 * classes, at the preset's own input size. Loading weights into it makes it useful.
 */
export const UNTRAINED_PRESET = { numClasses: UNTRAINED_MODEL.numClasses, seed: UNTRAINED_MODEL.seed } as const;

/** Where the build puts tfjs's `.wasm` files (see `vite.config.ts`), relative to the page. */
export const WASM_PATH = 'tfjs-wasm/';

/**
 * The most threads the wasm backend runs the network on (`?threads=N` included). tfjs's threaded build starts
 * a pool of 8 pthread workers with the module, so more would have to start while XNNPACK waits for them.
 */
export const MAX_WASM_THREADS = 8;

/** Where the sample images are served, relative to the page (`MODEL_MANIFEST_PATH`'s folder is beside it). */
export const SAMPLES_PATH = 'samples/';

/**
 * The bundled sample images (from `apps/trainer/assets/samples`; sources and licences in its README). The
 * first one opens with the page: a blood-cell image, which the bundled BCCD model is trained for.
 */
export const SAMPLES: readonly { file: string; title: string }[] = [
  { file: 'BloodImage_00000.jpg', title: 'Blood cells (BCCD 0)' },
  { file: 'BloodImage_00004.jpg', title: 'Blood cells (BCCD 4)' },
  { file: '000000000136.jpg', title: 'Giraffes (COCO 136)' },
];

/**
 * The network runs once per image at this score threshold and keeps every candidate above it (before NMS),
 * so the sliders can refilter without running it again. It must not exceed the slider's minimum.
 */
export const CANDIDATE_SCORE_THRESHOLD = 0.01;

/**
 * At most this many candidates (the best ones) come back from the worker: an untrained model scores every
 * anchor just above 0.01, and NMS over all ~49k of them on every slider move would stall the page.
 * The official implementation caps its pre-NMS candidates at 5000 too.
 */
export const MAX_CANDIDATES = 5000;

/** Slider ranges and defaults (the defaults are the zylo117 / `edet detect` ones). */
export const SCORE_THRESHOLD = { min: CANDIDATE_SCORE_THRESHOLD, max: 0.99, step: 0.01, initial: 0.2 } as const;
export const IOU_THRESHOLD = { min: 0.05, max: 1, step: 0.05, initial: 0.2 } as const;

/** Detections shown per image, the best ones, as `edet detect --max-detections` defaults to. */
export const MAX_DETECTIONS = 100;
