import * as tf from '@tensorflow/tfjs-core';

/**
 * Frees, at the end of a custom op's backward function, the incoming gradient and the tensors the op saved.
 *
 * tfjs 4.22 keeps every intermediate gradient and every saved tensor until the whole backward pass ends, so a
 * training step holds about twice its forward activations at the peak. A custom op is the only reader of its
 * output's gradient and of its saved clones (the engine keeps private clones), so it can release them as soon
 * as its own gradients are computed; the engine's final clean-up then skips them (disposing twice is a no-op).
 * Only call this after every returned gradient has been computed (tfjs ops are eager).
 */
export function releaseAfterBackward(dy: tf.Tensor, saved: readonly tf.Tensor[]): void {
  tf.dispose([dy, ...saved]);
}
