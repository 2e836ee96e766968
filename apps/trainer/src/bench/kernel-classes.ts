/**
 * The kinds of work a forward pass spends its time on, told apart by kernel name and tensor shapes (a
 * `tf.profile` record carries no layer name). Classes follow what a speed-up would target: the convolutions
 * by shape, the per-channel affine of batch norm, activations, resampling, BiFPN fusion, other elementwise
 * math, data movement, and the read-back of the outputs.
 */

/** One kernel run as `tf.profile` records it, with its time resolved to milliseconds. */
export interface KernelRecord {
  /** The kernel's name, or for a custom-gradient op the name of the scope it ran in. */
  name: string;
  /** Input shapes in the kernel's input order (`x`, `filter` for convolutions; `a`, `b` for binary ops). */
  inputShapes: (number[] | null)[];
  outputShapes: number[][];
  kernelTimeMs: number;
}

/** A class of kernels in a profile, in report order; `readBack` is not a kernel but the outputs' download. */
export const KERNEL_CLASSES = [
  'conv1x1',
  'depthwise',
  'convKxK',
  'bias',
  'batchNorm',
  'activation',
  'resampling',
  'fusion',
  'reduction',
  'elementwise',
  'dataMovement',
  'readBack',
  'other',
] as const;

export type KernelClass = (typeof KERNEL_CLASSES)[number];

/** What each class holds, as the report prints it. */
export const KERNEL_CLASS_LABELS: Record<KernelClass, string> = {
  conv1x1: '1x1 convolutions',
  depthwise: 'depthwise convolutions',
  convKxK: 'full kxk convolutions (stem)',
  bias: 'convolution bias adds',
  batchNorm: 'batch norm',
  activation: 'activations (swish, sigmoid)',
  resampling: 'resampling (upsample, max-pool)',
  fusion: 'BiFPN fusion (weighted adds)',
  reduction: 'reductions, squeeze-excite (means, gates, scaling), input check',
  elementwise: 'other elementwise',
  dataMovement: 'data movement (transpose, pad, concat, reshape, slice, tile)',
  readBack: 'read-back (outputs to host)',
  other: 'other',
};

// edet's fused inference convolutions (wasm) include their bias and activation.
const CONVOLUTIONS = new Set(['Conv2D', 'FusedConv2D', 'EdetPointwiseConv2d', 'EdetConv2d']);
const DEPTHWISE = new Set(['DepthwiseConv2dNative', 'FusedDepthwiseConv2D', 'EdetDepthwiseConv2d']);
const BATCH_NORMS = new Set(['FusedBatchNorm', 'EdetBatchNormTrain']);
// edet's one-pass BiFPN fusion (wasm) includes the activation after it.
const FUSIONS = new Set(['EdetWeightedSum']);
const ACTIVATIONS = new Set(['EdetSwish', 'Sigmoid', 'Relu', 'Relu6', 'Elu', 'Selu', 'LeakyRelu', 'Prelu', 'Tanh', 'Softplus']);
const RESAMPLING = new Set(['EdetPaddedMaxPool', 'MaxPool', 'AvgPool', 'ResizeNearestNeighbor', 'ResizeBilinear']);
const REDUCTIONS = new Set(['EdetSqueezeExcite', 'EdetSqueezeExciteGate', 'EdetAllFinite', 'Mean', 'Sum', 'Max', 'Min', 'Prod', 'All', 'Any', 'ArgMax', 'ArgMin']);
const DATA_MOVEMENT = new Set([
  'Transpose', 'Pad', 'PadV2', 'MirrorPad', 'Concat', 'Reshape', 'Slice', 'StridedSlice', 'Tile', 'SplitV', 'Unpack',
  'Pack', 'Identity', 'Cast', 'GatherV2', 'Reverse', 'BroadcastTo', 'ExpandDims', 'Squeeze', 'Fill',
]);
const ELEMENTWISE = new Set([
  'Add', 'AddN', 'Sub', 'Multiply', 'RealDiv', 'FloorDiv', 'Maximum', 'Minimum', 'Pow', 'SquaredDifference', 'Neg',
  'Abs', 'Exp', 'Log', 'Sqrt', 'Rsqrt', 'Square', 'Reciprocal', 'Floor', 'Ceil', 'Round', 'Sign', 'ClipByValue',
  'IsFinite', 'IsNan', 'IsInf', 'Greater', 'GreaterEqual', 'Less', 'LessEqual', 'Equal', 'NotEqual', 'LogicalAnd',
  'LogicalOr', 'LogicalNot', 'Select',
]);
// Parameter arithmetic on per-channel vectors that starts a batch norm in inference mode:
// scale = gamma * rsqrt(var + eps), shift = beta - mean * scale.
const BATCH_NORM_VECTOR_START = new Set(['Add', 'Rsqrt', 'Sqrt', 'Multiply', 'Sub', 'RealDiv']);

const rank = (shape: number[] | null | undefined): number => shape?.length ?? 0;
/** Whether two shapes are known and equal. */
export const sameShape = (a: number[] | null | undefined, b: number[] | null | undefined): boolean =>
  a != null && b != null && a.length === b.length && a.every((side, i) => side === b[i]);
const isVectorOp = (record: KernelRecord): boolean => record.inputShapes.every((shape) => rank(shape) <= 1);
const isConvolution = (kind: KernelClass | undefined): boolean => kind === 'conv1x1' || kind === 'convKxK' || kind === 'depthwise';

/** Tile of `[n, h, 1, w, 1, c]` to `[n, h, s, w, s, c]`: nearest-neighbour upsampling by broadcast. */
function isUpsampleTile(record: KernelRecord): boolean {
  const [input] = record.inputShapes;
  const [output] = record.outputShapes;
  return rank(input) === 6 && input?.[2] === 1 && input[4] === 1 && output !== undefined && output[2] > 1 && output[4] > 1;
}

/**
 * The class of `record`, given the record that ran just before it (`previous`, with its class). The context
 * tells apart ops of the same name and shapes: a per-channel add after a convolution is its bias, after a
 * per-channel multiply it is batch norm's shift; an add of two maps after a weighted map is BiFPN fusion, else
 * (a residual connection) other elementwise; `x * sigmoid(x)` right after that sigmoid is swish.
 */
export function classifyKernel(record: KernelRecord, previous?: { record: KernelRecord; kind: KernelClass }): KernelClass {
  const { name, inputShapes } = record;
  const [a, b] = inputShapes;
  if (CONVOLUTIONS.has(name)) return b != null && b[0] * b[1] === 1 ? 'conv1x1' : 'convKxK';
  if (DEPTHWISE.has(name)) return 'depthwise';
  if (BATCH_NORMS.has(name)) return 'batchNorm';
  if (FUSIONS.has(name)) return 'fusion';
  if (isVectorOp(record)) {
    // A run of parameter arithmetic belongs to one layer: batch norm's scale and shift, or the fusion
    // weights (relu(w) / (sum(relu(w)) + eps), unstacked).
    if (previous !== undefined && isVectorOp(previous.record) && (previous.kind === 'batchNorm' || previous.kind === 'fusion')) return previous.kind;
    if (name === 'Relu') return 'fusion';
    if (BATCH_NORM_VECTOR_START.has(name)) return 'batchNorm';
  }
  if (name === 'Multiply' && rank(a) >= 2 && rank(b) === 1) return 'batchNorm';
  if (name === 'Add' && rank(a) >= 2 && rank(b) === 1) {
    if (previous?.kind === 'batchNorm') return 'batchNorm';
    if (isConvolution(previous?.kind)) return 'bias';
    return 'elementwise';
  }
  if (name === 'Multiply' && (rank(a) === 0) !== (rank(b) === 0)) return 'fusion';
  if (name === 'Add' && sameShape(a, b) && rank(a) >= 2 && previous?.kind === 'fusion') return 'fusion';
  if (name === 'Multiply' && sameShape(a, b) && previous?.record.name === 'Sigmoid' && sameShape(previous.record.outputShapes[0], a)) return 'activation';
  if (ACTIVATIONS.has(name)) return 'activation';
  if (RESAMPLING.has(name) || (name === 'Tile' && isUpsampleTile(record))) return 'resampling';
  if (REDUCTIONS.has(name)) return 'reduction';
  if (DATA_MOVEMENT.has(name)) return 'dataMovement';
  if (ELEMENTWISE.has(name)) return 'elementwise';
  return 'other';
}

/**
 * The class of every record of one forward pass, in order; `null` for a scope record (a custom-gradient
 * op such as swish, recorded under its scope's name): its time includes the kernels it ran, which are
 * recorded and classed on their own, so counting it too would count them twice.
 * @param isKernel whether a name is a kernel registered on the backend that ran the pass
 */
export function classifyKernels(records: readonly KernelRecord[], isKernel: (name: string) => boolean): (KernelClass | null)[] {
  let previous: { record: KernelRecord; kind: KernelClass } | undefined;
  return records.map((record) => {
    if (!isKernel(record.name)) return null;
    const kind = classifyKernel(record, previous);
    previous = { record, kind };
    return kind;
  });
}
