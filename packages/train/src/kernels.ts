import * as tensor from '@edet/tensor';

/**
 * Registers @edet/tensor's fast wasm training kernels (backward convolutions and friends) when the package
 * exports `registerWasmTrainingKernels`; a no-op otherwise. Call after the backend has started.
 * @returns the kernel names registered by this call
 */
export function registerTrainingKernels(backend: string): string[] {
  if (backend !== 'wasm') return [];
  const register = (tensor as unknown as Record<string, unknown>).registerWasmTrainingKernels;
  return typeof register === 'function' ? (register as () => string[])() : [];
}
