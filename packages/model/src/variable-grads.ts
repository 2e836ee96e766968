import * as tf from '@tensorflow/tfjs-core';

/** The part of a tfjs gradient-tape node this file reads: the tensors kept for the backward pass. */
interface TapeNode {
  saved?: tf.Tensor[];
}

/** The engine's tape while `f` of a gradient call runs (tfjs 4 keeps it on `engine().state.activeTape`). */
function activeTape(): TapeNode[] | undefined {
  return (tf.engine().state as unknown as { activeTape?: TapeNode[] }).activeTape ?? undefined;
}

/**
 * `tf.variableGrads`, freeing what the tape kept when `f` throws. While `f` runs, tfjs keeps a clone of the
 * tensors each recorded kernel needs for its gradient (outside every `tidy`) and frees them only in the
 * backward pass; when `f` throws (bad targets, a NaN check, any error in the forward pass) there is no
 * backward pass and they would stay allocated for ever. Only the nodes `f` added are freed, so an enclosing
 * gradient call keeps its own. The result is `tf.variableGrads`'s: the caller disposes `value` and `grads`.
 */
export function variableGradsFreeingOnThrow(f: () => tf.Scalar, variables: tf.Variable[]): { value: tf.Scalar; grads: tf.NamedTensorMap } {
  let tape: TapeNode[] | undefined;
  let start = 0;
  try {
    return tf.variableGrads(() => {
      tape = activeTape();
      start = tape?.length ?? 0;
      return f();
    }, variables);
  } catch (error) {
    for (const node of tape?.slice(start) ?? []) tf.dispose(node.saved ?? []);
    throw error;
  }
}
