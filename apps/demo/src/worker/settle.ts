import * as tf from '@tensorflow/tfjs-core';

/**
 * Waits until the backend has computed `tensor`. WebGL and WebGPU queue work and return at once, so a
 * timer stopped without this measures only the queueing. Reading back a single value that depends on the
 * tensor forces the queue up to it, without paying for a full read-back. (The `add` makes a real program:
 * a bare slice of the first element can be a view of the same texture.)
 */
export async function settle(tensor: tf.Tensor): Promise<void> {
  const probe = tf.tidy(() => tf.add(tf.slice(tf.reshape(tensor, [-1]), [tensor.size - 1], [1]), 0));
  try {
    await probe.data();
  } finally {
    probe.dispose();
  }
}
