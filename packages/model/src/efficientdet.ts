import * as tf from '@tensorflow/tfjs-core';
import { EfficientNetBackbone, checkFiniteAsync, checkImageBatch } from '@edet/backbone-efficientnet';
import { BiFpn } from '@edet/bifpn';
import { BoxHead, ClassHead } from '@edet/heads';
import {
  type AnchorSet,
  checkPostprocessOptions,
  generateAnchors,
  mapToOriginal,
  postprocess,
  type Detection,
  type PostprocessOptions,
} from '@edet/anchors';
import type { ParsedSafetensors } from '@edet/safetensors';
import { BatchNorm2d, InvalidArgumentError, Module, type PoolPadding, checkOptionalBoolean, checkOptionsObject, seedInitializers } from '@edet/tensor';

import { type EfficientDetConfig, type ResolvedEfficientDetConfig, resolveConfig } from './config.js';
import { inputShape } from './input-size.js';
import { presetConfig } from './named-presets.js';
import { type LoadCheckpointOptions, type LoadedCheckpoint, type SaveCheckpointOptions, loadCheckpoint, saveCheckpoint } from './checkpoint.js';
import type { FollowsCheckpointNumerics } from './checkpoint-numerics.js';
import type { KeyLayout } from './key-layouts.js';
import { geometryMetadata } from './checkpoint-metadata.js';
import { type LossOptions, type LossParts, detectionLoss } from './detection-loss.js';
import { checkTargets } from './targets-check.js';
import { checkLossOptions } from './loss-options-check.js';
import { type RgbImage, letterboxImage, letterboxScale } from './preprocess.js';

/** Options of `forward` and `extractFeatures`. */
export interface ForwardOptions {
  /** `x` is `[N, H, W, 3]` (tfjs's usual layout) instead of `[N, 3, H, W]`. Default false. */
  channelsLast?: boolean;
}

/**
 * Options of `predict` and `detect`: thresholds and NMS (see `PostprocessOptions` in `@edet/anchors`).
 * Checked before any tensor is made: `scoreThreshold` and `iouThreshold` in [0, 1], `nms` one of
 * `'per-class' | 'agnostic' | 'soft'`, `softNmsSigma` finite and > 0, `maxDetections` a whole number >= 0
 * or Infinity; anything else is an `InvalidArgumentError` naming the option and its range.
 */
export type PredictOptions = Omit<PostprocessOptions, 'imageSize'> & ForwardOptions;

/** Options of `detect`: those of `predict`, and whether boxes are clipped to the original image. */
export type DetectOptions = Omit<PredictOptions, 'channelsLast'> & {
  /**
   * Clip boxes to the original image and drop those left with no area (see `mapToOriginal`). Default
   * true, so `detect` gives what the command line (`edet detect`, `edet eval`) and the demo show. False
   * gives the reference's (zylo117) boxes, clipped to the network input only, so a box can reach into the
   * letterbox padding past the image's right or bottom edge.
   */
  clipToImage?: boolean;
};

/** Intermediate maps, NHWC: backbone `[C3, C4, C5]` and BiFPN outputs `[P3 .. P7]`. */
export interface EfficientDetFeatures {
  backbone: tf.Tensor4D[];
  fpn: tf.Tensor4D[];
}

/** Checks `channelsLast` and that `options` is an object. */
function checkForwardOptions(options: unknown): void {
  checkOptionalBoolean(checkOptionsObject(options).channelsLast, 'channelsLast');
}

/** Sets the momentum of every batch norm under `module` (the layers default to 0.01). */
function setBatchNormMomentum(module: Module, momentum: number): void {
  if (module instanceof BatchNorm2d) module.momentum = momentum;
  for (const [, child] of module.children()) setBatchNormMomentum(child, momentum);
}

/** Holds the backbone under the child name `model`, as the official checkpoints key it (`backbone_net.model.*`). */
class BackboneHolder extends Module {
  readonly model: EfficientNetBackbone;

  constructor(config: ResolvedEfficientDetConfig) {
    super();
    const { backboneVariant: variant, dropConnectRate, seed } = config;
    const lite = config.backbone === 'efficientnet-lite';
    this.model = this.addModule('model', new EfficientNetBackbone({ variant, dropConnectRate, seed, lite, activation: config.activation }));
  }
}

/**
 * EfficientDet (Tan, Pang, Le 2020): EfficientNet backbone -> BiFPN -> shared class and box heads over
 * pyramid levels P3..P7, with the official numerics so that zylo117 checkpoints load and reproduce their
 * outputs. Children are named as the official checkpoint (`bifpn`, `regressor`, `classifier`, `backbone_net`).
 *
 * Ownership: the model owns its variables (`dispose()` frees them). Every method that returns tensors
 * returns new ones that the caller disposes; inputs are never disposed.
 */
export class EfficientDet extends Module implements FollowsCheckpointNumerics {
  readonly config: ResolvedEfficientDetConfig;
  /** Whether the config set `poolPadding` (then loaded checkpoints do not change it). */
  private readonly poolPaddingFixed: boolean;
  readonly bifpn: BiFpn;
  readonly regressor: BoxHead;
  readonly classifier: ClassHead;
  private readonly backboneNet: BackboneHolder;
  private readonly anchorCache = new Map<string, AnchorSet>();

  constructor(config: EfficientDetConfig) {
    super();
    this.config = resolveConfig(config);
    this.poolPaddingFixed = config.poolPadding !== undefined;
    const c = this.config;
    if (c.seed !== undefined) seedInitializers(c.seed);
    try {
      const backboneNet = new BackboneHolder(c);
      const channels = backboneNet.model.featureInfo.map((info) => info.channels) as [number, number, number];
      const levels = c.maxLevel - c.minLevel + 1;
      const head = {
        channels: c.fpnChannels,
        layers: c.headLayers,
        levels,
        anchorsPerLocation: c.numAnchors,
        activation: c.activation,
        redundantBias: c.redundantBias,
      };
      // Registration order is the official checkpoint order: bifpn, regressor, classifier, backbone last.
      this.bifpn = this.addModule(
        'bifpn',
        new BiFpn({
          channels: c.fpnChannels,
          layers: c.fpnLayers,
          backboneChannels: channels,
          minLevel: c.minLevel,
          maxLevel: c.maxLevel,
          weightedFusion: c.weightedFusion,
          poolPadding: c.poolPadding,
          activation: c.activation,
          redundantBias: c.redundantBias,
          // zylo117's D6+ carry unused fusion weights; Lite (effdet `bifpn_sum`, never a zylo117 model) has none.
          unusedFusionWeights: c.backbone === 'efficientnet',
        }),
      );
      this.regressor = this.addModule('regressor', new BoxHead(head));
      this.classifier = this.addModule('classifier', new ClassHead(head, c.numClasses));
      this.backboneNet = this.addModule('backbone_net', backboneNet);
      setBatchNormMomentum(this, c.batchNormMomentum);
    } finally {
      if (c.seed !== undefined) seedInitializers(null);
    }
  }

  /**
   * A model by its published name (`tf_efficientdet_d0`, `tf_efficientdet_lite0`, `efficientdet-d0`, ...: see
   * `PRESET_NAMES`) with `overrides`; `new EfficientDet(presetConfig(name, overrides))`.
   */
  static fromPreset(name: string, overrides: Partial<EfficientDetConfig> = {}): EfficientDet {
    return new EfficientDet(presetConfig(name, overrides));
  }

  /** What the BiFPN's max-pools pad with (`config.poolPadding`). */
  get poolPadding(): PoolPadding {
    return this.config.poolPadding;
  }

  /**
   * Takes the max-pool padding of a checkpoint just loaded (`loadCheckpoint` calls it), unless the config
   * set `poolPadding`: weights run with the numerics they were trained with.
   */
  followCheckpointPoolPadding(padding: PoolPadding): void {
    if (this.poolPaddingFixed) return;
    this.config.poolPadding = padding;
    this.bifpn.poolPadding = padding;
  }

  /** The truncated EfficientNet; its `stages` take weights one by one. */
  get backbone(): EfficientNetBackbone {
    return this.backboneNet.model;
  }

  /** Backbone and BiFPN maps for `x` (NCHW unless `channelsLast`). The caller disposes every returned tensor. */
  extractFeatures(x: tf.Tensor4D, options: ForwardOptions = {}): EfficientDetFeatures {
    checkForwardOptions(options);
    const channelsLast = options.channelsLast ?? false;
    checkImageBatch(x, 'x', { channelsLast });
    return this.features(x, channelsLast);
  }

  /** `extractFeatures` without the input checks, for callers that have done them. */
  private features(x: tf.Tensor4D, channelsLast: boolean): EfficientDetFeatures {
    return tf.tidy(() => {
      const input = channelsLast ? x : (tf.transpose(x, [0, 2, 3, 1]) as tf.Tensor4D);
      const backbone = this.backbone.forward(input);
      const fpn = this.bifpn.forward(backbone as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D]);
      return { backbone, fpn } as unknown as tf.TensorContainerObject;
    }) as unknown as EfficientDetFeatures;
  }

  /**
   * Runs the network on a batch of images.
   * @param x `[N, 3, H, W]` normalised images (or `[N, H, W, 3]` with `channelsLast`); any positive H and W
   *   (at sizes `2^maxLevel` does not divide, maps halve with rounding up and anchors take effdet's
   *   fractional stride). `A` is the anchor count of that size.
   * @returns `[classification, regression, anchors]`: per-anchor class probabilities `[N, A, numClasses]`
   *   (after the sigmoid), box deltas `[N, A, 4]` as `(dy, dx, dh, dw)`, and anchors `[A, 4]` as
   *   `[y1, x1, y2, x2]` in input pixels. New tensors; the caller disposes them.
   */
  forward(x: tf.Tensor4D, options: ForwardOptions = {}): [tf.Tensor3D, tf.Tensor3D, tf.Tensor2D] {
    checkForwardOptions(options);
    const channelsLast = options.channelsLast ?? false;
    checkImageBatch(x, 'x', { channelsLast });
    return this.outputs(x, channelsLast);
  }

  /** `forward` without the input checks, for callers that have done them. */
  private outputs(x: tf.Tensor4D, channelsLast: boolean): [tf.Tensor3D, tf.Tensor3D, tf.Tensor2D] {
    const { fpn, backbone } = this.features(x, channelsLast);
    try {
      const regression = this.regressor.forward(fpn);
      const classification = this.classifier.forward(fpn);
      const [height, width] = channelsLast ? x.shape.slice(1, 3) : x.shape.slice(2, 4);
      const anchors = this.anchorsFor(height, width);
      return [classification, regression, tf.tensor2d(anchors.boxes, [anchors.count, 4], 'float32')];
    } finally {
      tf.dispose([...fpn, ...backbone]);
    }
  }

  /**
   * Detections for a batch of network inputs: boxes decoded from the regression and anchors, clipped to the
   * input, filtered by score and suppressed by NMS.
   * @param x as in `forward`.
   * @returns for every image, detections `{ box: [x1, y1, x2, y2], score, classId }` in input pixels,
   *   by descending score. Reads results back to JS; `x` is not disposed.
   */
  async predict(x: tf.Tensor4D, options: PredictOptions = {}): Promise<Detection[][]> {
    // Options first: a bad one fails before any tensor is made.
    checkForwardOptions(options);
    checkPostprocessOptions(options);
    const { channelsLast = false, ...postprocessOptions } = options;
    checkImageBatch(x, 'x', { channelsLast, checkFinite: false });
    await checkFiniteAsync(x, 'x');
    return this.detections(x, channelsLast, postprocessOptions);
  }

  /** `predict` without the input checks, for callers that built `x` themselves (`detect`). */
  private async detections(x: tf.Tensor4D, channelsLast: boolean, options: Omit<PostprocessOptions, 'imageSize'>): Promise<Detection[][]> {
    const [classification, regression, anchors] = this.outputs(x, channelsLast);
    try {
      const [height, width] = channelsLast ? x.shape.slice(1, 3) : x.shape.slice(2, 4);
      return await postprocess(classification, regression, anchors, { ...options, imageSize: [height, width] });
    } finally {
      tf.dispose([classification, regression, anchors]);
    }
  }

  /**
   * The convenience path for real images: each image is letterboxed to `config.inputSize` (a square side or
   * `[height, width]`), normalised as `config.normalization` says, run through the network, and its boxes
   * are mapped back to original-image pixels and clipped to the image (unless `clipToImage: false`).
   * @param images decoded RGB or RGBA pixels of any size.
   * @returns for every image, detections `{ box: [x1, y1, x2, y2], score, classId }` in image pixels, by
   *   descending score.
   */
  async detect(images: RgbImage | readonly RgbImage[], options: DetectOptions = {}): Promise<Detection[][]> {
    // Options first: a bad one fails before any tensor is made.
    checkPostprocessOptions(options);
    checkOptionalBoolean((options as Record<string, unknown>).clipToImage, 'clipToImage');
    // channelsLast is not an option of detect (its inputs are always NHWC); a stray one is dropped.
    const { clipToImage = true, channelsLast: _alwaysChannelsLast, ...postprocessOptions } = options as DetectOptions & PredictOptions;
    const list = Array.isArray(images) ? (images as readonly RgbImage[]) : [images as RgbImage];
    if (list.length === 0) throw new InvalidArgumentError('images', 'at least one image', 'an empty list');
    const size = inputShape(this.config.inputSize);
    const results: Detection[][] = [];
    // One image at a time keeps peak memory at one input whatever the list length. The image is validated
    // once, by letterboxImage; the tensor it builds (float32 [1, height, width, 3] from 0-255 bytes, so
    // finite) is not checked again.
    for (const image of list) {
      const { input, letterbox } = letterboxImage(image, size, this.config.normalization);
      try {
        const [detections] = await this.detections(input, true, postprocessOptions);
        results.push(mapToOriginal(detections, letterboxScale(letterbox), clipToImage ? { clipTo: letterbox } : {}));
      } finally {
        input.dispose();
      }
    }
    return results;
  }

  /**
   * The training loss and its parts for a batch: focal loss over all non-ignored anchors plus the box loss
   * over positive anchors, normalised by the batch's positive-anchor count (see `detectionLoss`).
   * Batch norm uses batch statistics (and updates its running statistics) only in training mode: call
   * `model.train()` first when training.
   * @param x `[N, 3, H, W]` (or `[N, H, W, 3]` with `channelsLast`).
   * @param targets one `[Ni, 5]` tensor per image, rows `[x1, y1, x2, y2, classId]` in absolute input pixels;
   *   `Ni` may be 0. Not disposed.
   * @returns scalars `{ loss, classificationLoss, boxLoss }`, new tensors the caller disposes.
   */
  computeLoss(x: tf.Tensor4D, targets: readonly tf.Tensor2D[], options: LossOptions & ForwardOptions = {}): LossParts {
    checkLossOptions(options);
    const { channelsLast = false, ...lossOptions } = options;
    checkImageBatch(x, 'x', { channelsLast });
    checkTargets(targets, x.shape[0], this.config.numClasses);
    const { fpn, backbone } = this.features(x, channelsLast);
    try {
      return tf.tidy(() => {
        const regression = this.regressor.forward(fpn);
        const logits = this.classifier.forwardLogits(fpn);
        const [height, width] = channelsLast ? x.shape.slice(1, 3) : x.shape.slice(2, 4);
        const anchorSet = this.anchorsFor(height, width);
        const anchors = tf.tensor2d(anchorSet.boxes, [anchorSet.count, 4], 'float32');
        const parts = detectionLoss(logits, regression, anchors, targets, this.config.numClasses, lossOptions);
        return parts as unknown as tf.TensorContainerObject;
      }) as unknown as LossParts;
    } finally {
      tf.dispose([...fpn, ...backbone]);
    }
  }

  /** The scalar training loss of `computeLoss` (its parts are freed). The caller disposes the result. */
  getLoss(x: tf.Tensor4D, targets: readonly tf.Tensor2D[], options: LossOptions & ForwardOptions = {}): tf.Scalar {
    const { loss, classificationLoss, boxLoss } = this.computeLoss(x, targets, options);
    tf.dispose([classificationLoss, boxLoss]);
    return loss;
  }

  /**
   * Loads a safetensors checkpoint (official zylo117 or rwightman `tf_*` key layout, detected from the keys),
   * and takes the max-pool padding its weights expect unless the config set `poolPadding` (see
   * `loadCheckpoint`).
   * `file`: the bytes, or their `parseSafetensors` result (then the header is not parsed again).
   * Atomic: on `FileFormatError` or `StateDictError` the model is unchanged. The caller keeps `file`.
   */
  loadSafetensors(file: Uint8Array | ParsedSafetensors, options: LoadCheckpointOptions = {}): LoadedCheckpoint {
    return loadCheckpoint(this, file, options);
  }

  /**
   * Serialises the weights to safetensors bytes (official key layout and F32 unless told otherwise). The
   * header's metadata records `compound_coef` and `input_size`, and `model` when the config has a name
   * (`presetConfig`, `fromPreset`); `options.metadata` can override them.
   */
  saveSafetensors(options: SaveCheckpointOptions = {}): Promise<Uint8Array> {
    // The model, variant and input side go with the weights, so that a loader runs them as trained (`checkpointGeometry`).
    return saveCheckpoint(this, { ...options, metadata: { ...geometryMetadata(this.config), ...options.metadata } });
  }

  /** Anchors of an input size, computed once per size. */
  private anchorsFor(height: number, width: number): AnchorSet {
    const key = `${height}x${width}`;
    let anchors = this.anchorCache.get(key);
    if (!anchors) {
      anchors = generateAnchors({
        imageSize: [height, width],
        minLevel: this.config.minLevel,
        maxLevel: this.config.maxLevel,
        anchorScale: this.config.anchorScale,
        scales: this.config.anchorScales,
        ratios: this.config.anchorRatios,
        // Any size: cells per level as the network's maps (rounding up), effdet's fractional strides.
        requireDivisible: false,
      });
      this.anchorCache.set(key, anchors);
    }
    return anchors;
  }
}
