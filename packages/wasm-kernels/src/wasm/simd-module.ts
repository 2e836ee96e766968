import { assembleModule } from './assembler.js';
import {
  batchNormApplyProgram,
  batchNormGradApplyProgram,
  batchNormGradReduceProgram,
  batchNormVarianceProgram,
} from './batch-norm-programs.js';
import { FUSED_ACTIVATIONS, type FusedActivation, type MultiplyAdd } from './activation-epilogue.js';
import { relaxedProgramsInModule } from './relaxed-simd.js';
import { depthwiseForwardProgram } from './depthwise-forward-program.js';
import { pointwiseForwardProgram } from './pointwise-forward-program.js';
import { weightedSumProgram, weightedSumUpProgram } from './weighted-sum-program.js';
import { rowMeansProgram, channelScaleProgram, rowScaleProgram } from './squeeze-excite-programs.js';
import { paddedMaxPoolProgram } from './padded-max-pool-program.js';
import { directConvProgram } from './direct-conv-program.js';
import { depthwiseFilterGradProgram, depthwiseInputGradProgram } from './depthwise-programs.js';
import { focalLossProgram } from './focal-loss-programs.js';
import { gemmTnProgram } from './gemm-tn-program.js';
import { maxArgMaxProgram } from './max-arg-max-program.js';
import { maxPoolGradProgram } from './max-pool-grad-program.js';
import { col2imProgram, im2colProgram } from './patch-programs.js';
import { reduceProgram } from './reduce-program.js';
import { swishGradProgram, swishProgram } from './swish-program.js';
import { transposeProgram } from './transpose-program.js';
import { interleave3Program } from './interleave-program.js';
import { finiteSumProgram } from './finite-sum-program.js';

/**
 * The SIMD kernels, assembled once and instantiated on the wasm backend's own memory, so they read and
 * write tensors in place (a tensor's data is at `backend.dataIdMap.get(dataId).memoryOffset`).
 */

type Fn = (...args: number[]) => void;

/** The exported functions. Pointers are byte offsets into the backend's memory. */
interface SimdKernelsBase {
  depthwiseFilterGrad: Fn;
  depthwiseInputGrad: Fn;
  transpose2d: Fn;
  interleave3: Fn;
  finiteSum: Fn;
  im2col: Fn;
  col2im: Fn;
  reduceMiddle: Fn;
  matmulTN: Fn;
  maxPoolGrad: Fn;
  batchNormVariance: Fn;
  batchNormApplyNone: Fn;
  batchNormApplySwish: Fn;
  batchNormGradReduceNone: Fn;
  batchNormGradReduceSwish: Fn;
  batchNormGradApply: Fn;
  swish: Fn;
  swishGrad: Fn;
  focalLoss: Fn;
  focalLossGrad: Fn;
  maxArgMax: Fn;
  depthwiseForward_linear: Fn;
  depthwiseForward_relu6: Fn;
  depthwiseForward_swish: Fn;
  depthwiseForward_sigmoid: Fn;
  pointwiseForward_linear: Fn;
  pointwiseForward_relu6: Fn;
  pointwiseForward_swish: Fn;
  pointwiseForward_sigmoid: Fn;
  rowMeans: Fn;
  channelScale: Fn;
  rowScale: Fn;
  paddedMaxPool: Fn;
  convForward_linear: Fn;
  convForward_relu6: Fn;
  convForward_swish: Fn;
  convForward_sigmoid: Fn;
}

/** The inference convolutions built with relaxed SIMD's multiply-add (`pointwiseForwardRelaxed_swish`, ...). */
type RelaxedConvKernels = { [name in `${'pointwiseForward' | 'depthwiseForward' | 'convForward'}Relaxed_${FusedActivation}`]?: Fn };

/**
 * The exported functions, with the fusion programs (`weightedSum2_swish`, `weightedSumUp_swish`, ...) and, in a module built
 * while relaxed SIMD was asked for and validates, the relaxed inference convolutions.
 */
export type SimdKernels = SimdKernelsBase & { [name in `weightedSum${2 | 3 | 'Up'}_${FusedActivation}`]: Fn } & RelaxedConvKernels;

// Compiled modules, for an unshared and a shared memory (only the memory import differs).
const modules = new Map<boolean, WebAssembly.Module>();
const instances = new WeakMap<WebAssembly.Memory, SimdKernels>();

/** The three inference convolutions again, multiply-adding with relaxed SIMD (one more copy of each). */
function relaxedConvPrograms() {
  const relaxed: MultiplyAdd = 'relaxed';
  return FUSED_ACTIVATIONS.flatMap((activation) => [
    depthwiseForwardProgram(activation, relaxed),
    pointwiseForwardProgram(activation, relaxed),
    directConvProgram(activation, relaxed),
  ]);
}

/** The kernels' module, compiled once per memory kind (a pool thread instantiates the shared one). */
export function compiled(shared: boolean): WebAssembly.Module {
  let module = modules.get(shared);
  if (module === undefined) {
    const programs = [
      depthwiseFilterGradProgram(),
      depthwiseInputGradProgram(),
      transposeProgram(),
      interleave3Program(),
      finiteSumProgram(),
      im2colProgram(),
      col2imProgram(),
      reduceProgram(),
      gemmTnProgram(),
      maxPoolGradProgram(),
      batchNormVarianceProgram(),
      batchNormApplyProgram('none'),
      batchNormApplyProgram('swish'),
      batchNormGradReduceProgram('none'),
      batchNormGradReduceProgram('swish'),
      batchNormGradApplyProgram(),
      swishProgram(),
      swishGradProgram(),
      focalLossProgram(false),
      focalLossProgram(true),
      maxArgMaxProgram(),
      ...FUSED_ACTIVATIONS.map((activation) => depthwiseForwardProgram(activation)),
      ...FUSED_ACTIVATIONS.map((activation) => pointwiseForwardProgram(activation)),
      ...FUSED_ACTIVATIONS.flatMap((activation) => [weightedSumProgram(2, activation), weightedSumProgram(3, activation), weightedSumUpProgram(activation)]),
      rowMeansProgram(),
      channelScaleProgram(),
      rowScaleProgram(),
      paddedMaxPoolProgram(),
      ...FUSED_ACTIVATIONS.map((activation) => directConvProgram(activation)),
      ...(relaxedProgramsInModule() ? relaxedConvPrograms() : []),
    ];
    module = new WebAssembly.Module(assembleModule(programs, shared));
    modules.set(shared, module);
  }
  return module;
}

/**
 * The kernels bound to `memory` (the wasm backend's `backend.wasm.asm.memory`). Compiles synchronously on
 * first use: fine in Node and in workers (browsers refuse synchronous compiles of large modules on the main
 * thread).
 */
export function simdKernels(memory: WebAssembly.Memory): SimdKernels {
  let kernels = instances.get(memory);
  if (kernels === undefined) {
    const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
    const instance = new WebAssembly.Instance(compiled(shared), { env: { memory } });
    kernels = instance.exports as unknown as SimdKernels;
    instances.set(memory, kernels);
  }
  return kernels;
}
