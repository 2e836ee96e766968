import * as tf from '@tensorflow/tfjs-core';

/**
 * Backward kernels a kernel package vouches for. tfjs 4.22's own backward kernels are not trusted by the
 * gradients here (e.g. the wasm `MaxPoolGrad` is wrong at padded edges and for batch > 1), so a gradient
 * composes its result from forward ops unless the kernel registered for the active backend has been
 * declared exact, and then runs that kernel (much faster). A declaration names the kernel function: a
 * kernel registered later in its place is not trusted.
 *
 * Why not compose everywhere: on wasm, a D0 training step (256x256, batch 2) took 1.19 s (median of 5,
 * interleaved) with @edet/wasm-kernels' `MaxPoolGrad` against 1.49 s with the composed max-pool gradient.
 */
const exact = new Map<string, Set<tf.KernelFunc>>();

/**
 * Declares the kernel `config` (as registered with `tf.registerKernel`) exact: the gradients of
 * `@edet/tensor` that can use it (today: `MaxPoolGrad`, for the `MaxPool` gradient) run it on its backend.
 */
export function declareExactKernel(config: tf.KernelConfig): void {
  const key = `${config.backendName}/${config.kernelName}`;
  const functions = exact.get(key) ?? new Set<tf.KernelFunc>();
  functions.add(config.kernelFunc);
  exact.set(key, functions);
}

/** True when the kernel now registered as `kernelName` on `backendName` has been declared exact. */
export function isExactKernel(kernelName: string, backendName: string): boolean {
  const kernel = tf.getKernel(kernelName, backendName);
  return kernel != null && exact.get(`${backendName}/${kernelName}`)?.has(kernel.kernelFunc) === true;
}
