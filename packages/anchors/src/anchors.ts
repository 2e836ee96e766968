import * as tf from '@tensorflow/tfjs-core';

import { InvalidArgumentError, formatShape } from '@edet/tensor';

/** Options of `generateAnchors` and `anchorCount`. Every field but `imageSize` has the zylo117 default. */
export interface AnchorOptions {
  /** Network input size `[height, width]` in pixels (the padded frame, e.g. `[512, 512]` for D0). */
  imageSize: readonly [number, number];
  /** First pyramid level (stride `2^minLevel`). Default 3. */
  minLevel?: number;
  /** Last pyramid level (stride `2^maxLevel`). Default 7. */
  maxLevel?: number;
  /** Base anchor size in strides: an anchor of scale 1 and ratio (1,1) is `anchorScale * stride` wide. Default 4. */
  anchorScale?: number;
  /** Octave scales per cell. Default `[2^0, 2^(1/3), 2^(2/3)]`. */
  scales?: readonly number[];
  /** Aspect ratios as `[widthMultiplier, heightMultiplier]`. Default `[[1,1],[1.4,0.7],[0.7,1.4]]`. */
  ratios?: readonly (readonly [number, number])[];
  /**
   * Throw when a dimension is not a multiple of the largest stride, as zylo117 does. Default true. With
   * false, each level gets `ceil(size / 2^level)` cells (the size of the feature map the network's TF-SAME
   * convolutions and pools produce, halving with rounding up) and, as effdet and the official TF code
   * compute them, a fractional stride `size / cells` per axis (320 px at P7: 3 cells, stride 106.67), so the
   * anchors still line up with the head outputs. At multiples of the largest stride both give the same anchors.
   */
  requireDivisible?: boolean;
}

/** Where one pyramid level's anchors lie in the flat anchor list. */
export interface AnchorLevel {
  /** Pyramid level, e.g. 3 for P3. */
  level: number;
  /** Nominal stride in input pixels, `2^level`. */
  stride: number;
  /** The stride the anchors use along y and x: `2^level`, or `size / cells` at sizes it does not divide. */
  strideY: number;
  strideX: number;
  /** Cells along y (feature-map height). */
  rows: number;
  /** Cells along x (feature-map width). */
  columns: number;
  /** Index of the level's first anchor. */
  offset: number;
  /** Anchors in the level: `rows * columns * anchorsPerCell`. */
  count: number;
}

/** Anchors of one configuration, in the order the heads emit their outputs. */
export interface AnchorSet {
  /** `[count, 4]` row-major, each row `[y1, x1, y2, x2]` in network-input pixels. Owned by the caller. */
  boxes: Float32Array;
  /** Total number of anchors A. */
  count: number;
  /** Anchor types per cell: `scales.length * ratios.length` (9 by default). */
  anchorsPerCell: number;
  /** The levels, P(minLevel) first. */
  levels: AnchorLevel[];
}

/** The zylo117 defaults. Kept as exact doubles: `2 ** (1/3)` here equals Python's `2 ** (1.0 / 3.0)`. */
export const DEFAULT_SCALES: readonly number[] = [2 ** 0, 2 ** (1 / 3), 2 ** (2 / 3)];
export const DEFAULT_RATIOS: readonly (readonly [number, number])[] = [
  [1.0, 1.0],
  [1.4, 0.7],
  [0.7, 1.4],
];

interface ResolvedOptions {
  height: number;
  width: number;
  minLevel: number;
  maxLevel: number;
  anchorScale: number;
  scales: readonly number[];
  ratios: readonly (readonly [number, number])[];
}

function resolve(options: AnchorOptions): ResolvedOptions {
  const { imageSize } = options;
  if (
    !Array.isArray(imageSize) ||
    imageSize.length !== 2 ||
    !imageSize.every((size) => Number.isInteger(size) && size > 0)
  ) {
    throw new InvalidArgumentError('imageSize', '[height, width] of positive integers', String(imageSize));
  }
  const minLevel = options.minLevel ?? 3;
  const maxLevel = options.maxLevel ?? 7;
  if (!Number.isInteger(minLevel) || !Number.isInteger(maxLevel) || minLevel < 0 || maxLevel < minLevel) {
    throw new InvalidArgumentError(
      'minLevel/maxLevel',
      'integers with 0 <= minLevel <= maxLevel',
      `${minLevel}/${maxLevel}`,
    );
  }
  const anchorScale = options.anchorScale ?? 4;
  if (!(anchorScale > 0)) throw new InvalidArgumentError('anchorScale', 'a positive number', String(anchorScale));
  const scales = options.scales ?? DEFAULT_SCALES;
  if (scales.length === 0 || !scales.every((scale) => scale > 0)) {
    throw new InvalidArgumentError('scales', 'a non-empty list of positive numbers', `[${scales.join(',')}]`);
  }
  const ratios = options.ratios ?? DEFAULT_RATIOS;
  if (ratios.length === 0 || !ratios.every((ratio) => ratio.length === 2 && ratio[0] > 0 && ratio[1] > 0)) {
    const expected = 'a non-empty list of positive [width, height] pairs';
    throw new InvalidArgumentError('ratios', expected, JSON.stringify(ratios));
  }
  return { height: imageSize[0], width: imageSize[1], minLevel, maxLevel, anchorScale, scales, ratios };
}

function layout(config: ResolvedOptions): AnchorLevel[] {
  const anchorsPerCell = config.scales.length * config.ratios.length;
  const levels: AnchorLevel[] = [];
  let offset = 0;
  for (let level = config.minLevel; level <= config.maxLevel; level++) {
    const stride = 2 ** level;
    // ceil, not the reference's arange(stride/2, size, stride) count: the two agree on divisible sizes,
    // and only ceil matches the feature-map size (e.g. 224 -> P6 is 4x4, where arange gives 3 centres).
    const rows = Math.ceil(config.height / stride);
    const columns = Math.ceil(config.width / stride);
    const count = rows * columns * anchorsPerCell;
    // effdet's stride is image size / feature size: 2^level exactly where 2^level divides the size.
    const strideY = config.height % stride === 0 ? stride : config.height / rows;
    const strideX = config.width % stride === 0 ? stride : config.width / columns;
    levels.push({ level, stride, strideY, strideX, rows, columns, offset, count });
    offset += count;
  }
  return levels;
}

/**
 * Number of anchors A for an input size, i.e. the second dimension of the head outputs. Never throws for
 * sizes that are not multiples of the largest stride (it counts the cells the network produces):
 * 49104 at 512x512 and 9441 at 224x224 with the defaults.
 */
export function anchorCount(
  imageSize: readonly [number, number],
  options: Omit<AnchorOptions, 'imageSize' | 'requireDivisible'> = {},
): number {
  const levels = layout(resolve({ ...options, imageSize }));
  return levels.reduce((sum, level) => sum + level.count, 0);
}

// Computing 49104 anchors takes a few milliseconds; the cache keeps only plain arrays, never tensors.
const cache = new Map<string, { boxes: Float32Array; levels: AnchorLevel[] }>();

/**
 * The EfficientDet anchors exactly as zylo117 makes them: for each level (P3 first), each row, each column,
 * the `scales x ratios` types scale-major / ratio-minor; base size `anchorScale * stride * scale`, half
 * extents `base * ratio / 2`, centres `stride/2 + stride*k`; computed in float64 and then cast to float32.
 * At sizes the largest stride does not divide (`requireDivisible: false`) the stride is effdet's fractional
 * one, `size / cells` per axis (see `AnchorOptions.requireDivisible`).
 *
 * Throws `InvalidArgumentError` naming `imageSize` if a dimension is not a multiple of `2^maxLevel`, unless
 * `requireDivisible: false`. The result is a fresh copy the caller owns and may modify.
 */
export function generateAnchors(options: AnchorOptions): AnchorSet {
  const config = resolve(options);
  const largestStride = 2 ** config.maxLevel;
  const divisible = config.height % largestStride === 0 && config.width % largestStride === 0;
  if ((options.requireDivisible ?? true) && !divisible) {
    throw new InvalidArgumentError(
      'imageSize',
      `both dimensions divisible by the largest stride ${largestStride} (or requireDivisible: false)`,
      formatShape([config.height, config.width]),
    );
  }
  const key = JSON.stringify(config);
  let entry = cache.get(key);
  if (entry === undefined) {
    entry = compute(config);
    cache.set(key, entry);
  }
  return {
    boxes: entry.boxes.slice(),
    count: entry.boxes.length / 4,
    anchorsPerCell: config.scales.length * config.ratios.length,
    levels: entry.levels.map((level) => ({ ...level })),
  };
}

function compute(config: ResolvedOptions): { boxes: Float32Array; levels: AnchorLevel[] } {
  const levels = layout(config);
  const total = levels.reduce((sum, level) => sum + level.count, 0);
  const boxes = new Float32Array(total * 4);
  let out = 0;
  for (const { strideY, strideX, rows, columns } of levels) {
    // Half extents per type, in the reference's operation order ((anchorScale * stride) * scale * ratio) / 2,
    // so the float64 values (and hence the float32 casts) are bit-identical. Widths scale with the x stride
    // and heights with the y stride (they differ only at sizes 2^level does not divide).
    const halfExtents: [number, number][] = [];
    for (const scale of config.scales) {
      for (const [ratioX, ratioY] of config.ratios) {
        const baseX = config.anchorScale * strideX * scale;
        const baseY = config.anchorScale * strideY * scale;
        halfExtents.push([(baseX * ratioX) / 2.0, (baseY * ratioY) / 2.0]);
      }
    }
    for (let row = 0; row < rows; row++) {
      const yCentre = strideY / 2 + strideY * row;
      for (let column = 0; column < columns; column++) {
        const xCentre = strideX / 2 + strideX * column;
        for (const [halfX, halfY] of halfExtents) {
          boxes[out++] = yCentre - halfY;
          boxes[out++] = xCentre - halfX;
          boxes[out++] = yCentre + halfY;
          boxes[out++] = xCentre + halfX;
        }
      }
    }
  }
  return { boxes, levels };
}

/**
 * The anchors of `generateAnchors(options)` as a new float32 tensor `[A, 4]`, rows `[y1, x1, y2, x2]`.
 * The caller disposes it.
 */
export function anchorTensor(options: AnchorOptions): tf.Tensor2D {
  const anchors = generateAnchors(options);
  return tf.tensor2d(anchors.boxes, [anchors.count, 4], 'float32');
}
