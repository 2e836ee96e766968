import type { MultiplyAdd } from './activation-epilogue.js';

/**
 * Whether this runtime validates relaxed SIMD's `f32x4.relaxed_madd` (Chromium from 114, Node from 22; Node 20
 * with `--experimental-wasm-relaxed-simd`). Decided by validating a one-function module, once: the kernels'
 * module is compiled once per process, so a flag set after that first compile changes nothing.
 */

// (module (func (param v128 v128 v128) (result v128) local.get 0 local.get 1 local.get 2 f32x4.relaxed_madd))
const PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version
  0x01, 0x08, 0x01, 0x60, 0x03, 0x7b, 0x7b, 0x7b, 0x01, 0x7b, // type section: (v128 v128 v128) -> v128
  0x03, 0x02, 0x01, 0x00, // function section: one function of type 0
  0x0a, 0x0d, 0x01, 0x0b, 0x00, 0x20, 0x00, 0x20, 0x01, 0x20, 0x02, 0xfd, 0x85, 0x02, 0x0b, // code section
]);

let available: boolean | undefined;

/** True where `f32x4.relaxed_madd` validates (probed on the first call). */
export function relaxedSimdAvailable(): boolean {
  available ??= WebAssembly.validate(PROBE);
  return available;
}

let enabled = false;

/**
 * Whether the inference convolutions use relaxed SIMD's multiply-add where the runtime has it (default
 * false: see `WasmKernelOptions.relaxedSimd`). Off gives the same bits on every machine; on may round each
 * multiply-add once (fused) instead of twice. Either way a result does not depend on the thread count.
 */
export function setRelaxedSimd(on: boolean): void {
  enabled = on;
}

// Whether the kernels' module holds the relaxed programs: decided when it is first compiled (undefined
// before), from the option and the runtime then. Building them costs about 90 ms of start-up, which a
// runtime that has relaxed SIMD but never uses it (the default) should not pay.
let builtWithRelaxed: boolean | undefined;

/** Whether to build the relaxed programs into the kernels' module; the first call decides for the process. */
export function relaxedProgramsInModule(): boolean {
  builtWithRelaxed ??= enabled && relaxedSimdAvailable();
  return builtWithRelaxed;
}

/**
 * How the inference convolutions multiply-add now: `relaxed` where enabled, available, and the kernels'
 * module holds the relaxed programs (it does when the option was on at its first compile, i.e. before the
 * first kernel ran; turned on later, the option changes nothing and `wasmKernelFeatures()` says so).
 */
export function multiplyAddInUse(): MultiplyAdd {
  return enabled && (builtWithRelaxed ?? relaxedSimdAvailable()) ? 'relaxed' : 'separate';
}
