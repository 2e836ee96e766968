import * as tf from '@tensorflow/tfjs-core';
import { declareExactKernel } from '@edet/tensor';

import { adamWUpdateConfig } from './adamw-update.js';
import { batchNormTrainConfig, batchNormTrainGradConfig } from './batch-norm-train.js';
import { concatConfig } from './concat.js';
import { transposeConfig } from './transpose.js';
import { allFiniteConfig } from './all-finite.js';
import { conv2dBackpropFilterConfig } from './conv2d-backprop-filter.js';
import { conv2dBackpropInputConfig } from './conv2d-backprop-input.js';
import { depthwiseBackpropFilterConfig } from './depthwise-backprop-filter.js';
import { depthwiseBackpropInputConfig } from './depthwise-backprop-input.js';
import { depthwiseConvConfig } from './depthwise-forward.js';
import { pointwiseConvConfig } from './pointwise-forward.js';
import { weightedSumConfig } from './weighted-sum.js';
import { squeezeExciteConfig, squeezeExciteGateConfig } from './squeeze-excite.js';
import { paddedMaxPoolConfig } from './padded-max-pool.js';
import { directConvConfig } from './direct-conv.js';
import { focalLossConfig, focalLossGradConfig } from './focal-loss.js';
import { WasmKernelError } from './errors.js';
import { freeOnThrow } from './free-on-throw.js';
import { multiplyAddInUse, relaxedSimdAvailable, setRelaxedSimd } from './wasm/relaxed-simd.js';
import { identityConfig } from './identity.js';
import { maxArgMaxConfig } from './max-arg-max.js';
import { maxPoolGradConfig } from './max-pool-grad.js';
import { meanConfig, sumConfig } from './reductions.js';
import { sliceConfig } from './slice.js';
import { splitVConfig } from './split-v.js';
import { swishConfig, swishGradConfig } from './swish.js';
import { type ThreadSpawner, configureKernelThreads } from './threads/kernel-threads.js';
import { webWorkerSpawner } from './threads/web-worker-spawner.js';
import { tileConfig } from './tile.js';
import { unsortedSegmentSumConfig } from './unsorted-segment-sum.js';

/**
 * Training kernels for tfjs's wasm backend (4.22).
 *
 * Added (the backend has none): `Conv2DBackpropFilter`, `DepthwiseConv2dNativeBackpropFilter`,
 * `DepthwiseConv2dNativeBackpropInput`, `UnsortedSegmentSum`; and fused kernels of our own, which the layers
 * run when they are registered for the active backend: `EdetBatchNormTrain` / `EdetBatchNormTrainGrad`
 * (training-mode batch norm + swish), `EdetSwish` / `EdetSwishGrad` and `EdetSigmoidFocalLoss` /
 * `EdetSigmoidFocalLossGrad` (the classification loss, one pass each), `EdetAdamWUpdate` (one AdamW
 * update of a variable), `EdetMaxArgMax` (the maximum over the last axis and its index, one pass) and
 * `EdetDepthwiseConv2d` / `EdetPointwiseConv2d` (the inference depthwise and 1x1 convolutions with bias and
 * activation in their output pass) `EdetWeightedSum` (a BiFPN node's fusion and activation, one pass) and `EdetSqueezeExcite` (an
 * EfficientNet block's channel gate: means, gate and scaling in three passes) `EdetPaddedMaxPool` (a
 * max-pool over a constant padding, without the padded copy), `EdetConv2d` (a direct k x k convolution of
 * few input channels, the stem, with its epilogue) and `EdetAllFinite` (whether every value is finite, one
 * pass: the detector's input check).
 *
 * Replaced: `Conv2DBackpropInput` (a scalar loop 5-15x slower than the forward conv), `MaxPoolGrad` (wrong
 * for batch > 1 and for 'same' padding), `Sum` / `Mean` (transpose first when the reduced axes are not
 * innermost), `Tile` (per-element loop; also behind `broadcastTo`), `Slice` / `SplitV` / `Concat` (they
 * copied the whole input out of the heap, or one short run per call) and `Transpose` (an image batch to
 * channels last in one SIMD pass; the rest as before). Each replacement hands the cases it
 * does not cover to the backend's own kernel, only where that kernel is right (see each file): empty
 * tensors, int32 / bool reductions and other edge cases are covered here. `Identity` shares its input's data
 * instead of copying it. A kernel that throws frees what it allocated (`free-on-throw.ts`).
 */

/** The kernels the backend lacks, added here. */
export const ADDED_KERNELS: readonly string[] = [
  'Conv2DBackpropFilter',
  'DepthwiseConv2dNativeBackpropFilter',
  'DepthwiseConv2dNativeBackpropInput',
  'UnsortedSegmentSum',
  'EdetBatchNormTrain',
  'EdetBatchNormTrainGrad',
  'EdetSwish',
  'EdetSwishGrad',
  'EdetSigmoidFocalLoss',
  'EdetSigmoidFocalLossGrad',
  'EdetAdamWUpdate',
  'EdetMaxArgMax',
  'EdetDepthwiseConv2d',
  'EdetPointwiseConv2d',
  'EdetWeightedSum',
  'EdetSqueezeExcite',
  'EdetSqueezeExciteGate',
  'EdetPaddedMaxPool',
  'EdetConv2d',
  'EdetAllFinite',
];

/** The backend's kernels replaced here. */
export const REPLACED_KERNELS: readonly string[] = [
  'Conv2DBackpropInput',
  'MaxPoolGrad',
  'Sum',
  'Mean',
  'Tile',
  'Identity',
  'Slice',
  'SplitV',
  'Concat',
  'Transpose',
];

/** Every kernel this module registers. */
export const WASM_KERNELS: readonly string[] = [...ADDED_KERNELS, ...REPLACED_KERNELS];

// The kernel functions we registered, to recognise them on a later call.
const ours = new Set<tf.KernelFunc>();

// Each kernel function as registered (wrapped by `freeOnThrow`), one wrapper per function.
const registeredForm = new WeakMap<tf.KernelFunc, tf.KernelFunc>();

function leakFree(kernelFunc: tf.KernelFunc): tf.KernelFunc {
  let wrapped = registeredForm.get(kernelFunc);
  if (wrapped === undefined) {
    wrapped = freeOnThrow(kernelFunc);
    registeredForm.set(kernelFunc, wrapped);
  }
  return wrapped;
}

/** Builds the replacement for one kernel, given the backend's own kernel function. */
const replacements: Record<string, (original: tf.KernelFunc) => tf.KernelConfig> = {
  Conv2DBackpropInput: conv2dBackpropInputConfig,
  MaxPoolGrad: () => maxPoolGradConfig,
  Sum: sumConfig,
  Mean: meanConfig,
  Tile: tileConfig,
  Identity: identityConfig,
  Slice: sliceConfig,
  SplitV: splitVConfig,
  Concat: concatConfig,
  Transpose: transposeConfig,
};

function install(config: tf.KernelConfig, replaced?: tf.KernelConfig): void {
  // Unregister first: registering over an existing kernel works but logs a warning.
  if (replaced !== undefined) tf.unregisterKernel(config.kernelName, 'wasm');
  // Every kernel frees what it allocated when it throws (bad input must not leak heap memory).
  const kernelFunc = leakFree(config.kernelFunc);
  // Keep the replaced kernel's setup and teardown: our fallbacks call its kernel function, whose wasm
  // bindings that setup creates when the backend starts.
  tf.registerKernel({ ...config, kernelFunc, setupFunc: replaced?.setupFunc, disposeFunc: replaced?.disposeFunc });
  ours.add(kernelFunc);
  // Right where tfjs's own is not (batch > 1, 'same' padding): @edet/tensor's MaxPool gradient may run it.
  if (config.kernelName === 'MaxPoolGrad') declareExactKernel({ ...config, kernelFunc });
}

/** Options of `registerWasmKernels`. */
export interface WasmKernelOptions {
  /**
   * Threads edet's kernels split their work over (the calling one included) where the backend's memory is
   * shared, i.e. on tfjs's threaded build; results are the same whatever the count. Default 1 (no pool).
   */
  threads?: number;
  /** Starts a pool thread: `nodeThreadSpawner` from `@edet/wasm-kernels/node` in Node; Web Workers by default. */
  spawnThread?: ThreadSpawner;
  /**
   * Multiply-add with relaxed SIMD (`f32x4.relaxed_madd`) in the inference convolutions (1x1, depthwise,
   * the stem) where the runtime has it: Chromium from 114, Node from 22, Node 20 run with
   * `--experimental-wasm-relaxed-simd`. Where the machine has fused multiply-add each product is then added
   * with one rounding instead of two, so results differ from the plain SIMD path in the last bits (and may
   * differ between machines); the plain path gives the same bits everywhere. Results never depend on the
   * thread count. Default false: the fused instruction only pays where multiply and add share execution
   * units (it halves their work there); where they do not, its longer latency makes the convolutions
   * slower (the README's benchmarks). Turn it on before the first kernel runs (as `useBackend`'s
   * `wasmRelaxedSimd` does): the relaxed programs are only built into the kernels' module when it is on at
   * the module's first compile, sparing the start-up otherwise; after that it can be turned off and on
   * again. `wasmKernelFeatures()` says which path runs.
   */
  relaxedSimd?: boolean;
}

/** What edet's wasm kernels use on this runtime now. */
export interface WasmKernelFeatures {
  /** The inference convolutions multiply-add with relaxed SIMD (asked for, and the runtime has it). */
  relaxedSimd: boolean;
  /** The runtime validates relaxed SIMD (probed once; the kernels' module is compiled with it then). */
  relaxedSimdAvailable: boolean;
}

/** Which optional instruction paths the kernels take now (see `WasmKernelOptions.relaxedSimd`). */
export function wasmKernelFeatures(): WasmKernelFeatures {
  return { relaxedSimd: multiplyAddInUse() === 'relaxed', relaxedSimdAvailable: relaxedSimdAvailable() };
}

/**
 * Registers every edet kernel for the backend named 'wasm' and returns the names registered by this call
 * (empty when all were in place already). Safe to call any number of times, before or after the backend is
 * initialised (kernels are looked up by backend name when they run). This is the package's one entry point;
 * `useBackend` with `@edet/model/backends/wasm` calls it.
 *
 * The replacements need the backend's own kernels to fall back on, so they are only installed once
 * `@tensorflow/tfjs-backend-wasm` has been imported (its import registers them); call this after that
 * import. Called earlier, it adds the missing kernels only, and a later call completes the set.
 * @throws WasmKernelError when `options.threads` is not a whole number from 1, or `options.relaxedSimd` is
 *   not a boolean
 */
export function registerWasmKernels(options: WasmKernelOptions = {}): string[] {
  if (options.relaxedSimd !== undefined && typeof options.relaxedSimd !== 'boolean') {
    throw new WasmKernelError(`registerWasmKernels: options.relaxedSimd must be true or false, got ${String(options.relaxedSimd)}`);
  }
  if (options.threads !== undefined) configureKernelThreads(options.threads, options.spawnThread ?? webWorkerSpawner);
  if (options.relaxedSimd !== undefined) setRelaxedSimd(options.relaxedSimd);
  const registered: string[] = [];
  const added = [
    conv2dBackpropFilterConfig,
    depthwiseBackpropFilterConfig,
    depthwiseBackpropInputConfig,
    unsortedSegmentSumConfig,
    batchNormTrainConfig,
    batchNormTrainGradConfig,
    swishConfig,
    swishGradConfig,
    focalLossConfig,
    focalLossGradConfig,
    adamWUpdateConfig,
    maxArgMaxConfig,
    depthwiseConvConfig,
    pointwiseConvConfig,
    weightedSumConfig,
    squeezeExciteConfig,
    squeezeExciteGateConfig,
    paddedMaxPoolConfig,
    directConvConfig,
    allFiniteConfig,
  ];
  for (const config of added) {
    const current = tf.getKernel(config.kernelName, 'wasm');
    if (current != null && ours.has(current.kernelFunc)) continue;
    install(config, current ?? undefined);
    registered.push(config.kernelName);
  }
  for (const [name, make] of Object.entries(replacements)) {
    const current = tf.getKernel(name, 'wasm');
    if (current == null || ours.has(current.kernelFunc)) continue;
    install(make(current.kernelFunc), current);
    registered.push(name);
  }
  return registered;
}

/** True when `kernelName` on `backendName` is one of the kernels registered here (and so known to be right). */
export function isEdetKernel(kernelName: string, backendName: string): boolean {
  const kernel = tf.getKernel(kernelName, backendName);
  return kernel != null && ours.has(kernel.kernelFunc);
}
