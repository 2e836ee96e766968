import { KERNEL_CLASSES, type KernelClass, sameShape } from './kernel-classes.js';
import { type ClassShare, classShares } from './profile.js';
import { summarizeTimings } from './statistics.js';

/**
 * onnxruntime's own profile of the peer, by the classes edet's profile uses: what each class of operator
 * costs the peer, next to what each class of kernel costs edet. onnxruntime writes its profile as a Chrome
 * trace (`enableProfiling`): a `model_run` event per session run and a `<node>_kernel_time` event per node
 * run, with the operator, its input and output shapes, and its time in microseconds.
 */

/** One event of onnxruntime's trace, with the fields read here. */
export interface OnnxTraceEvent {
  cat: string;
  name: string;
  /** Start, in microseconds. */
  ts: number;
  /** Duration, in microseconds. */
  dur: number;
  args?: {
    op_name?: string;
    /** One entry per input, `{ <element type>: shape }`, e.g. `{ float: [1, 32, 256, 256] }`. */
    input_type_shape?: Record<string, number[]>[];
    output_type_shape?: Record<string, number[]>[];
  };
}

/** One node run: its operator and shapes (absent entries as `null`). */
export interface OnnxNodeRecord {
  op: string;
  inputShapes: (number[] | null)[];
  outputShapes: (number[] | null)[];
  ms: number;
}

/** onnxruntime's profile of the peer: medians over the profiled runs, by class of operator. */
export interface OnnxProfile {
  /** Profiled runs (after one unprofiled warm-up run of the profiling session). */
  runs: number;
  /** Every class with nodes, in `KERNEL_CLASSES` order; `kernels` counts nodes, `kernelNames` their operators. */
  classes: ClassShare[];
  /** The sum of the class medians. */
  totalMs: number;
  /** Median duration of the profiled session runs (slower than unprofiled runs: the profiler's own work). */
  wallMs: number;
  /** `wallMs - totalMs`: between the nodes, mostly the profiler's bookkeeping. */
  outsideNodesMs: number;
  /** Node runs in one session run. */
  nodes: number;
  /** Multiply-adds of the convolutions of one session run. */
  macs: number;
}

const ACTIVATIONS = new Set(['Sigmoid', 'Relu', 'Clip', 'Tanh', 'Elu', 'Selu', 'LeakyRelu', 'PRelu', 'Softplus', 'HardSigmoid', 'HardSwish']);
const RESAMPLING = new Set(['MaxPool', 'AveragePool', 'Resize', 'Upsample']);
const REDUCTIONS = new Set(['GlobalAveragePool', 'GlobalMaxPool', 'ReduceMean', 'ReduceSum', 'ReduceMax', 'ReduceMin', 'ArgMax', 'ArgMin']);
const DATA_MOVEMENT = new Set([
  'Transpose', 'Pad', 'Concat', 'Reshape', 'Slice', 'Split', 'Tile', 'Squeeze', 'Unsqueeze', 'Flatten', 'Expand', 'Gather',
  'Identity', 'Cast',
]);
const ELEMENTWISE = new Set([
  'Add', 'Sub', 'Mul', 'Div', 'Pow', 'Sqrt', 'Reciprocal', 'Exp', 'Log', 'Neg', 'Abs', 'Max', 'Min', 'Floor', 'Ceil',
  'Round', 'Sign', 'Equal', 'Greater', 'GreaterOrEqual', 'Less', 'LessOrEqual', 'Not', 'And', 'Or', 'Where',
]);

const sizeOf = (shape: number[] | null | undefined): number => (shape ?? []).reduce((product, side) => product * side, 1);
/** `[N, C, 1, 1]`: a per-channel map, as a squeeze-and-excitation gate is. */
const isChannelVector = (shape: number[] | null | undefined): boolean => shape?.length === 4 && shape[2] === 1 && shape[3] === 1;

/**
 * The class of one node run, given the one just before it (onnxruntime runs the nodes in order): a
 * convolution by its weight `[out, in / group, kh, kw]` (depthwise where each output channel reads one
 * input channel of as many), `x * sigmoid(x)` right after that sigmoid as an activation (swish), a product
 * with a scalar as BiFPN fusion (a fusion weight) and the sum after it too, a map times a per-channel
 * `[N, C, 1, 1]` gate as squeeze-and-excitation; the rest by operator.
 */
export function classifyOnnxNode(node: OnnxNodeRecord, previous?: { node: OnnxNodeRecord; kind: KernelClass }): KernelClass {
  const { op } = node;
  const [a, b] = node.inputShapes;
  if (op === 'Conv') {
    const weight = b;
    if (weight == null || weight.length !== 4) return 'convKxK';
    if (weight[1] === 1 && weight[0] > 1 && a?.[1] === weight[0]) return 'depthwise';
    return weight[2] === 1 && weight[3] === 1 ? 'conv1x1' : 'convKxK';
  }
  if (op === 'BatchNormalization') return 'batchNorm';
  if (op === 'Mul') {
    if (sameShape(a, b) && previous?.node.op === 'Sigmoid' && sameShape(previous.node.outputShapes[0], a)) return 'activation';
    if ((sizeOf(a) === 1) !== (sizeOf(b) === 1)) return 'fusion';
    if (isChannelVector(a) !== isChannelVector(b)) return 'reduction';
  }
  if (op === 'Add' && sameShape(a, b) && (a?.length ?? 0) >= 2 && previous?.kind === 'fusion') return 'fusion';
  if (ACTIVATIONS.has(op)) return 'activation';
  if (RESAMPLING.has(op)) return 'resampling';
  if (REDUCTIONS.has(op)) return 'reduction';
  if (DATA_MOVEMENT.has(op)) return 'dataMovement';
  if (ELEMENTWISE.has(op)) return 'elementwise';
  return 'other';
}

/** Multiply-adds of a convolution node: each output reads `in / group * kh * kw` inputs; 0 for other nodes. */
export function onnxNodeMacs(node: OnnxNodeRecord): number {
  const weight = node.inputShapes[1];
  if (node.op !== 'Conv' || weight == null || weight.length !== 4) return 0;
  return sizeOf(node.outputShapes[0]) * weight[1] * weight[2] * weight[3];
}

/** The shape in one `{ <element type>: shape }` entry of a trace event. */
function shapeOf(entry: Record<string, number[]> | undefined): number[] | null {
  const shape = entry === undefined ? undefined : Object.values(entry)[0];
  return Array.isArray(shape) ? shape : null;
}

/**
 * The node runs of each session run in `events` (onnxruntime's trace, in any order), in order: the nodes
 * that started within a `model_run` event belong to it.
 */
export function onnxRuns(events: readonly OnnxTraceEvent[]): { ms: number; nodes: OnnxNodeRecord[] }[] {
  const runs = events
    .filter((event) => event.cat === 'Session' && event.name === 'model_run')
    .sort((a, b) => a.ts - b.ts)
    .map((event) => ({ start: event.ts, end: event.ts + event.dur, ms: event.dur / 1000, nodes: [] as { ts: number; node: OnnxNodeRecord }[] }));
  for (const event of events) {
    if (event.cat !== 'Node' || !event.name.endsWith('_kernel_time') || event.args?.op_name === undefined) continue;
    const run = runs.find(({ start, end }) => event.ts >= start && event.ts <= end);
    run?.nodes.push({
      ts: event.ts,
      node: {
        op: event.args.op_name,
        inputShapes: (event.args.input_type_shape ?? []).map(shapeOf),
        outputShapes: (event.args.output_type_shape ?? []).map(shapeOf),
        ms: event.dur / 1000,
      },
    });
  }
  return runs.map(({ ms, nodes }) => ({ ms, nodes: nodes.sort((a, b) => a.ts - b.ts).map(({ node }) => node) }));
}

/**
 * The per-class medians of the last `runs` session runs in `events` (the ones before are warm-up). Each
 * class's median is taken on its own, so `totalMs` need not equal the median of the runs' sums.
 * @throws RangeError when the trace holds fewer than `runs` session runs, or `runs` is below 1
 */
export function summarizeOnnxTrace(events: readonly OnnxTraceEvent[], runs: number): OnnxProfile {
  const all = onnxRuns(events);
  if (runs < 1 || all.length < runs) throw new RangeError(`onnxruntime's profile holds ${all.length} session runs, expected at least ${Math.max(runs, 1)}`);
  const profiled = all.slice(all.length - runs);
  const timesByClass = new Map<KernelClass, number[]>(KERNEL_CLASSES.map((kind) => [kind, []]));
  const countsByClass = new Map<KernelClass, number>();
  const opsByClass = new Map<KernelClass, Set<string>>();
  profiled.forEach((run, index) => {
    const sums = new Map<KernelClass, number>(KERNEL_CLASSES.map((kind) => [kind, 0]));
    let previous: { node: OnnxNodeRecord; kind: KernelClass } | undefined;
    for (const node of run.nodes) {
      const kind = classifyOnnxNode(node, previous);
      previous = { node, kind };
      sums.set(kind, (sums.get(kind) ?? 0) + node.ms);
      if (index === 0) {
        countsByClass.set(kind, (countsByClass.get(kind) ?? 0) + 1);
        opsByClass.set(kind, (opsByClass.get(kind) ?? new Set()).add(node.op));
      }
    }
    for (const [kind, sum] of sums) timesByClass.get(kind)?.push(sum);
  });
  const { classes, totalMs } = classShares(timesByClass, countsByClass, opsByClass, (kind) => (countsByClass.get(kind) ?? 0) > 0);
  const wallMs = summarizeTimings(profiled.map((run) => run.ms)).medianMs;
  return {
    runs,
    classes,
    totalMs,
    wallMs,
    outsideNodesMs: wallMs - totalMs,
    nodes: profiled[0].nodes.length,
    macs: profiled[0].nodes.reduce((sum, node) => sum + onnxNodeMacs(node), 0),
  };
}
