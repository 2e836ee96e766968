/**
 * The contract of the fused squeeze-and-excitation kernel, which `squeezeExcite` (an EfficientNet block's
 * channel gate) runs in inference passes (no gradient recorded) where a kernel package has registered it for
 * the active backend (`@edet/wasm-kernels` does, for wasm). float32 only; no gradient.
 *
 * `EdetSqueezeExcite`: inputs `x` `[N, H, W, C]`, `reduceFilter` `[1, 1, C, S]`, `reduceBias` `[S]`,
 * `expandFilter` `[1, 1, S, C]` and `expandBias` `[C]`; no attributes. Output, `x`'s shape:
 * `x * sigmoid(conv(swish(conv(m, reduceFilter) + reduceBias), expandFilter) + expandBias)`, where `m`
 * `[N, 1, 1, C]` is `x`'s mean over W, then over H (as `globalAveragePool`), and the gate multiplies every
 * pixel of its image.
 */

/** Name of the kernel. */
export const SQUEEZE_EXCITE = 'EdetSqueezeExcite';

/**
 * `EdetSqueezeExciteGate`: the same inputs; output `[N, C]`, the gate alone,
 * `sigmoid(conv(swish(conv(m, reduceFilter) + reduceBias), expandFilter) + expandBias)`, for a block that
 * folds it into the convolution after it (`EdetPointwiseConv2d`'s `inputScale`).
 */
export const SQUEEZE_EXCITE_GATE = 'EdetSqueezeExciteGate';
