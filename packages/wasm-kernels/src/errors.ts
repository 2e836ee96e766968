import { EdetError } from '@edet/tensor';

/**
 * Thrown by a wasm kernel when its inputs break its contract (dtype, shape, an unsupported case) or the
 * backend lacks what it needs; the message names the kernel and the argument.
 */
export class WasmKernelError extends EdetError {}
