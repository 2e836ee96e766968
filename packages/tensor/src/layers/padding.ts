/**
 * TensorFlow "SAME" padding for one spatial dimension, computed from the actual input size as the official
 * EfficientDet does: the output has ceil(size / stride) cells and the smaller half of the padding goes first
 * (top / left). For a 3x3 stride-2 kernel on an even size this is (0, 1); for 5x5 stride 2 it is (1, 2).
 */
export function samePadding(size: number, kernel: number, stride: number): [number, number] {
  const extra = Math.max((Math.ceil(size / stride) - 1) * stride - size + kernel, 0);
  const before = Math.floor(extra / 2);
  return [before, extra - before];
}

/** How a convolution pads its input: TF "SAME" (static, from the input size) or symmetric `kernel // 2`. */
export type ConvPadding = 'same' | 'symmetric';
