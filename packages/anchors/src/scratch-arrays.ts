type ScratchArray = Float32Array | Float64Array | Int32Array | Uint32Array;

/**
 * Typed arrays kept by role and reused, so that a loop over frames reads its scores and deltas into the same
 * memory every time. A fresh typed array of a few hundred kilobytes costs its page faults on every call
 * (about 0.5 ms each on the virtual machines measured, several per call), longer than the work done in it.
 * A `postprocess` call borrows a set for its duration (`withScratchArrays`): calls that overlap (awaiting at
 * the same time) each get their own, and what a call returns never points into one. Synchronous code may
 * keep one set for all its calls (`candidate-order.ts`).
 */
export class ScratchArrays {
  private readonly arrays = new Map<string, ScratchArray>();

  /** A float32 array of exactly `size` elements for the role `name`, its contents whatever they were. */
  float32(name: string, size: number): Float32Array {
    return this.array(name, size, Float32Array);
  }

  /** A float64 array, as `float32`. */
  float64(name: string, size: number): Float64Array {
    return this.array(name, size, Float64Array);
  }

  /** An int32 array, as `float32`. */
  int32(name: string, size: number): Int32Array {
    return this.array(name, size, Int32Array);
  }

  /** A uint32 array, as `float32`. */
  uint32(name: string, size: number): Uint32Array {
    return this.array(name, size, Uint32Array);
  }

  /** The array kept for `name`, replaced by a larger one (or one of another type) when it does not fit. */
  private array<T extends ScratchArray>(name: string, size: number, type: new (size: number) => T): T {
    let array = this.arrays.get(name);
    if (!(array instanceof type) || array.length < size) this.arrays.set(name, (array = new type(size)));
    return (array as T).subarray(0, size) as T;
  }
}

const idle: ScratchArrays[] = [];

/** Runs `work` with a set of scratch arrays no other running call holds, and keeps the set for later calls. */
export async function withScratchArrays<T>(work: (scratch: ScratchArrays) => Promise<T>): Promise<T> {
  const scratch = idle.pop() ?? new ScratchArrays();
  try {
    return await work(scratch);
  } finally {
    idle.push(scratch);
  }
}
