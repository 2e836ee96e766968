/**
 * Smallest relative tolerance on the GPU backends. WebGL and WebGPU shaders compute exp, log and pow in
 * float32 with their own approximations, so values far out in a function's tail (a focal loss of 1e-11,
 * say) can be off by ~1e-4 relative where cpu and wasm are within 1e-6. Same split as onnxruntime's golden
 * tests: cpu/wasm at the test's own tolerance, webgl/webgpu at 1e-3.
 */
export const GPU_RELATIVE_TOLERANCE = 1e-3;

/** True for the backends that run shaders. Pass `tf.getBackend()` (this file imports no tfjs). */
export function isGpuBackend(backend: string): boolean {
  return backend === 'webgl' || backend === 'webgpu';
}

/**
 * A test's relative tolerance on `backend`: unchanged on cpu and wasm (so Node runs are exactly as strict as
 * written), at least `GPU_RELATIVE_TOLERANCE` on webgl and webgpu.
 */
export function relativeTolerance(tolerance: number, backend: string): number {
  return isGpuBackend(backend) ? Math.max(tolerance, GPU_RELATIVE_TOLERANCE) : tolerance;
}
