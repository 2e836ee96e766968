/**
 * Seeded random calls of the tfjs kernels that @edet/wasm-kernels registers for wasm, over what tfjs accepts
 * for each: dtypes, empty tensors (size-0 axes), size-1 axes, odd shapes, NaN and +/-Infinity values, and
 * the attributes (strides, 'same' / 'valid' / explicit padding, dilations, axes, keepDims, reps, splits).
 */
import * as tf from '@tensorflow/tfjs-core';

import { rng } from '../../../tensor/test/gradients-check.js';
import type { FuzzCase, FuzzInput } from './differential.js';

type DType = FuzzInput['dtype'];

/** A seeded source of the random choices one case makes. */
export class Chooser {
  private readonly next: () => number;

  constructor(seed: number) {
    this.next = rng(seed);
  }

  /** An integer in `[lo, hi]`. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  pick<T>(options: readonly T[]): T {
    return options[this.int(0, options.length - 1)];
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  /**
   * Values for a tensor: float32 in [-2, 2) with NaN, +/-Infinity and zeros mixed in at rate `special`;
   * int32 in [-4, 4]; bool 0 or 1.
   */
  tensor(shape: number[], dtype: DType = 'float32', special = 0.08): FuzzInput {
    const size = shape.reduce((a, b) => a * b, 1);
    const values = Array.from({ length: size }, () => {
      if (dtype === 'bool') return this.int(0, 1);
      if (dtype === 'int32') return this.int(-4, 4);
      if (this.chance(special)) return this.pick([Number.NaN, Infinity, -Infinity, 0]);
      return Math.fround(4 * this.next() - 2);
    });
    return { values, shape, dtype };
  }

  /** A shape of `rank` axes, each of size `[0, max]`, 0 at rate `empty`. */
  shape(rank: number, max: number, empty = 0.1): number[] {
    return Array.from({ length: rank }, () => (this.chance(empty) ? 0 : this.int(1, max)));
  }
}

type Pad = 'same' | 'valid' | tf.backend_util.ExplicitPadding;

function choosePad(r: Chooser): Pad {
  const pad = r.pick(['same', 'valid', 'explicit'] as const);
  if (pad !== 'explicit') return pad;
  return [
    [0, 0],
    [r.int(0, 2), r.int(0, 2)],
    [r.int(0, 2), r.int(0, 2)],
    [0, 0],
  ];
}

/** float32 mostly; int32 at rate 0.15 (tfjs's cpu kernels read any numeric dtype). */
function convDType(r: Chooser): DType {
  return r.chance(0.15) ? 'int32' : 'float32';
}

/** Geometry of a 2-D conv case, or null when tfjs refuses it (then the case expects an error on both). */
function convInfo(xShape: number[], filterShape: number[], strides: number, dilations: number, pad: Pad, depthwise: boolean) {
  try {
    return tf.backend_util.computeConv2DInfo(
      xShape as [number, number, number, number],
      filterShape as [number, number, number, number],
      strides,
      dilations,
      pad,
      undefined,
      depthwise,
    );
  } catch {
    return null;
  }
}

/**
 * A conv or depthwise-conv backward case: x, filter and dy shapes with the attributes. Geometries whose
 * output would have a negative size (tfjs computes one without complaint; no tensor has it) are drawn again.
 */
function convSetup(r: Chooser, depthwise: boolean): ReturnType<typeof drawConv> {
  for (;;) {
    const setup = drawConv(r, depthwise);
    if (setup.dyShape.every((size) => size >= 0)) return setup;
  }
}

function drawConv(r: Chooser, depthwise: boolean) {
  const xShape = [r.pick([0, 1, 1, 2]), r.int(1, 6), r.int(1, 6), r.int(1, 5)];
  const k = r.int(1, 3);
  const filterShape = [k, r.pick([k, r.int(1, 3)]), xShape[3], depthwise ? r.pick([1, 1, 2]) : r.int(1, 5)];
  const strides = r.pick([1, 1, 2, 3]);
  // tfjs takes dilations > 1 only with stride 1; the plain conv backward kernels only dilation 1.
  const dilations = depthwise && strides === 1 ? r.pick([1, 1, 2]) : 1;
  const pad = choosePad(r);
  const info = convInfo(xShape, filterShape, strides, dilations, pad, depthwise);
  const dyShape = info === null ? [xShape[0], 1, 1, filterShape[2] * filterShape[3]] : info.outShape;
  if (info !== null && !depthwise) dyShape[3] = filterShape[3];
  return { xShape, filterShape, dyShape, strides, dilations, pad };
}

/** Cases of one conv backward kernel. */
function convCase(r: Chooser, kernel: string, label: string): FuzzCase {
  const depthwise = kernel.startsWith('Depthwise');
  const { xShape, filterShape, dyShape, strides, dilations, pad } = convSetup(r, depthwise);
  const dilationAttrs = depthwise ? { dilations } : {};
  // The plain conv kernels also take NCHW x and dy (the depthwise ones are NHWC only in tfjs).
  const nchw = !depthwise && r.chance(0.2);
  const layout = (shape: number[]) => (nchw ? [shape[0], shape[3], shape[1], shape[2]] : shape);
  // Explicit padding lists the axes in the data format's order.
  const formatPad = nchw && Array.isArray(pad) ? [pad[0], pad[3], pad[1], pad[2]] : pad;
  const common = { strides, pad: formatPad, dataFormat: nchw ? 'NCHW' : 'NHWC', dimRoundingMode: undefined, ...dilationAttrs };
  const dy = r.tensor(layout(dyShape), convDType(r));
  if (kernel.endsWith('Filter')) {
    return { label, kernel, inputs: { x: r.tensor(layout(xShape), convDType(r)), dy }, attrs: { ...common, filterShape } };
  }
  return { label, kernel, inputs: { dy, filter: r.tensor(filterShape, convDType(r)) }, attrs: { ...common, inputShape: layout(xShape) } };
}

function maxPoolGradCase(r: Chooser, label: string): FuzzCase {
  const xShape = [r.pick([0, 1, 2]), r.int(1, 6), r.int(1, 6), r.int(1, 6)];
  const filterSize = r.int(1, 3);
  const strides = r.int(1, 3);
  const pad = choosePad(r);
  let outShape = [xShape[0], 1, 1, xShape[3]];
  try {
    outShape = tf.backend_util.computePool2DInfo(xShape as [number, number, number, number], filterSize, strides, 1, pad).outShape;
  } catch {
    // tfjs refuses the geometry: both backends throw.
  }
  // Windows of -Infinity (and NaN) only are the corner case: a third of the cases are mostly -Infinity.
  const input = r.tensor(xShape, 'float32', 0.08);
  if (r.chance(0.35)) input.values = input.values.map((v) => (r.chance(0.85) ? -Infinity : v));
  return {
    label,
    kernel: 'MaxPoolGrad',
    inputs: { dy: r.tensor(outShape), input, output: r.tensor(outShape) },
    attrs: { filterSize, strides, pad, dimRoundingMode: undefined },
  };
}

function segmentSumCase(r: Chooser, label: string): FuzzCase {
  const idsShape = r.chance(0.25) ? [r.int(0, 3), r.int(0, 3)] : [r.pick([0, 1, 2, 5, 7])];
  const xShape = [...idsShape, ...r.shape(r.int(0, 2), 4)];
  const numSegments = r.int(1, 6);
  const ids = r.tensor(idsShape, 'int32');
  ids.values = ids.values.map(() => r.int(-1, numSegments));
  return {
    label,
    kernel: 'UnsortedSegmentSum',
    inputs: { x: r.tensor(xShape, r.pick(['float32', 'float32', 'int32', 'bool'] as const)), segmentIds: ids },
    attrs: { numSegments },
  };
}

function reductionCase(r: Chooser, kernel: 'Sum' | 'Mean', label: string): FuzzCase {
  const rank = r.int(0, 4);
  const shape = r.shape(rank, 5, 0.12);
  const axes = Array.from({ length: rank }, (_, i) => i).filter(() => r.chance(0.5));
  // Negative axes count from the end; one plain number at times.
  const axis = axes.length === 1 && r.chance(0.3) ? axes[0] - (r.chance(0.5) ? rank : 0) : axes;
  const dtype = r.pick(['float32', 'float32', 'int32', 'bool'] as const);
  return { label, kernel, inputs: { x: r.tensor(shape, dtype) }, attrs: { axis, keepDims: r.chance(0.5) } };
}

/** Reductions in the layouts edet's fast path takes (a block of axes followed by 4+ kept elements). */
function middleReductionCase(r: Chooser, kernel: 'Sum' | 'Mean', label: string): FuzzCase {
  const shape = [r.int(0, 3), r.int(0, 4), r.int(1, 4), r.pick([4, 5, 8])];
  const axis = r.pick([[0, 1, 2], [1, 2], [0], [1], [0, 1]]);
  return { label, kernel, inputs: { x: r.tensor(shape) }, attrs: { axis, keepDims: r.chance(0.5) } };
}

function tileCase(r: Chooser, label: string): FuzzCase {
  const rank = r.int(0, 4);
  const shape = r.shape(rank, 3, 0.1);
  const reps = shape.map(() => r.pick([0, 1, 1, 2, 3]));
  return { label, kernel: 'Tile', inputs: { x: r.tensor(shape, r.pick(['float32', 'int32', 'bool'] as const)) }, attrs: { reps } };
}

function identityCase(r: Chooser, label: string): FuzzCase {
  const shape = r.shape(r.int(0, 3), 4);
  return { label, kernel: 'Identity', inputs: { x: r.tensor(shape, r.pick(['float32', 'int32', 'bool'] as const)) }, attrs: {} };
}

function sliceCase(r: Chooser, label: string): FuzzCase {
  const shape = r.shape(r.int(1, 4), 5);
  const begin = shape.map((size) => r.int(0, size));
  const size = shape.map((s, i) => (r.chance(0.2) ? -1 : r.int(0, s - begin[i])));
  const dtype = r.pick(['float32', 'int32', 'bool'] as const);
  return { label, kernel: 'Slice', inputs: { x: r.tensor(shape, dtype) }, attrs: { begin, size } };
}

function splitCase(r: Chooser, label: string): FuzzCase {
  const shape = r.shape(r.int(1, 4), 5);
  const axis = r.int(0, shape.length - 1);
  const length = shape[axis];
  let numOrSizeSplits: number | number[];
  if (r.chance(0.3) && length > 0) {
    const divisors = Array.from({ length }, (_, i) => i + 1).filter((d) => length % d === 0);
    numOrSizeSplits = r.pick(divisors);
  } else {
    const sizes: number[] = [];
    let left = length;
    while (left > 0 && sizes.length < 3) {
      const part = r.int(0, left);
      sizes.push(part);
      left -= part;
    }
    sizes.push(left);
    if (r.chance(0.3)) sizes[r.int(0, sizes.length - 1)] = -1;
    numOrSizeSplits = sizes;
  }
  const dtype = r.pick(['float32', 'int32', 'bool'] as const);
  return { label, kernel: 'SplitV', inputs: { x: r.tensor(shape, dtype) }, attrs: { numOrSizeSplits, axis: r.chance(0.3) ? axis - shape.length : axis } };
}

function concatCase(r: Chooser, label: string): FuzzCase {
  const shape = r.shape(r.int(1, 4), 4);
  const axis = r.int(0, shape.length - 1);
  const dtype = r.pick(['float32', 'int32', 'bool'] as const);
  const inputs = Array.from({ length: r.int(1, 4) }, () => {
    const part = shape.slice();
    part[axis] = r.int(0, 3);
    return r.tensor(part, dtype);
  });
  return { label, kernel: 'Concat', inputs, attrs: { axis } };
}

/** `count` seeded cases of each of the tfjs kernels edet replaces or adds for wasm. */
export function tfjsKernelCases(seed: number, count: number): FuzzCase[] {
  const makers: Record<string, (r: Chooser, label: string) => FuzzCase> = {
    Conv2DBackpropFilter: (r, label) => convCase(r, 'Conv2DBackpropFilter', label),
    Conv2DBackpropInput: (r, label) => convCase(r, 'Conv2DBackpropInput', label),
    DepthwiseConv2dNativeBackpropFilter: (r, label) => convCase(r, 'DepthwiseConv2dNativeBackpropFilter', label),
    DepthwiseConv2dNativeBackpropInput: (r, label) => convCase(r, 'DepthwiseConv2dNativeBackpropInput', label),
    MaxPoolGrad: maxPoolGradCase,
    UnsortedSegmentSum: segmentSumCase,
    Sum: (r, label) => (r.chance(0.4) ? middleReductionCase(r, 'Sum', label) : reductionCase(r, 'Sum', label)),
    Mean: (r, label) => (r.chance(0.4) ? middleReductionCase(r, 'Mean', label) : reductionCase(r, 'Mean', label)),
    Tile: tileCase,
    Identity: identityCase,
    Slice: sliceCase,
    SplitV: splitCase,
    Concat: concatCase,
  };
  const cases: FuzzCase[] = [];
  for (const [kernel, make] of Object.entries(makers)) {
    for (let i = 0; i < count; i++) {
      const caseSeed = seed + 1000 * cases.length;
      cases.push(make(new Chooser(caseSeed), `${kernel} #${i} (seed ${caseSeed})`));
    }
  }
  return cases;
}
