/**
 * Typed arrays a `postprocess` call borrows for its duration and gives back, so that a loop over frames
 * reads its scores and deltas into the same memory every time. A fresh typed array of a few hundred
 * kilobytes costs its page faults on every call (about 0.5 ms each on the virtual machines measured,
 * several per call), longer than the work done in it. Calls that overlap (awaiting at the same time) each
 * get their own set; what a call returns never points into one.
 */
export class ScratchArrays {
  private readonly floats = new Map<string, Float32Array>();
  private readonly ints = new Map<string, Int32Array>();

  /** A float32 array of exactly `size` elements for the role `name`, its contents whatever they were. */
  float32(name: string, size: number): Float32Array {
    let array = this.floats.get(name);
    if (array === undefined || array.length < size) this.floats.set(name, (array = new Float32Array(size)));
    return array.subarray(0, size);
  }

  /** An int32 array of exactly `size` elements for the role `name`, its contents whatever they were. */
  int32(name: string, size: number): Int32Array {
    let array = this.ints.get(name);
    if (array === undefined || array.length < size) this.ints.set(name, (array = new Int32Array(size)));
    return array.subarray(0, size);
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
