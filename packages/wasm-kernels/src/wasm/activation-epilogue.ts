import { type Expr, type FunctionBuilder, type Local, get } from './assembler.js';
import { LaneMath, RELAXED_VECTOR_MATH, SCALAR_MATH, VECTOR_MATH } from './simd-math.js';

/** The epilogues of the fused inference convolutions: none, `min(max(v, 0), 6)`, `v * sigmoid(v)`, `sigmoid(v)`. */
export type FusedActivation = 'linear' | 'relu6' | 'swish' | 'sigmoid';

export const FUSED_ACTIVATIONS: readonly FusedActivation[] = ['linear', 'relu6', 'swish', 'sigmoid'];

/**
 * How the inference convolutions multiply and accumulate: `separate` (f32x4.mul then f32x4.add, every
 * runtime with SIMD) or `relaxed` (relaxed SIMD's f32x4.relaxed_madd: fused where the machine has it).
 */
export type MultiplyAdd = 'separate' | 'relaxed';

/** The exported name of a fused convolution program: `pointwiseForward_swish`, `pointwiseForwardRelaxed_swish`. */
export function convProgramName<Base extends string>(base: Base, multiplyAdd: MultiplyAdd, activation: FusedActivation) {
  return `${base}${multiplyAdd === 'relaxed' ? 'Relaxed' : ''}_${activation}` as const;
}

/**
 * The activation of a fused convolution's output pass, for both lane widths, with its constants set up
 * where this is constructed (before the loops).
 */
export class ActivationEpilogue {
  readonly vector: LaneMath;
  readonly scalar: LaneMath;

  constructor(
    f: FunctionBuilder,
    readonly activation: FusedActivation,
    multiplyAdd: MultiplyAdd = 'separate',
  ) {
    this.vector = new LaneMath(f, multiplyAdd === 'relaxed' ? RELAXED_VECTOR_MATH : VECTOR_MATH);
    this.scalar = new LaneMath(f, SCALAR_MATH);
    for (const math of [this.vector, this.scalar]) [0, 6].forEach((value) => math.constant(value));
  }

  /** `activation(value)` at the lane width of `math`; relu6 keeps NaN (max, then min, value first), as tfjs's clip does. */
  apply(math: LaneMath, value: Local): Expr {
    const { m } = math;
    if (this.activation === 'relu6') return m.min(m.max(value, math.constant(0)), math.constant(6));
    if (this.activation === 'swish') return math.swish(value);
    if (this.activation === 'sigmoid') return get(math.sigmoid(value));
    return get(value);
  }
}
