import type { BatchNormSync } from '@edet/tensor';

/**
 * Synchronised batch norm across gradient workers. The workers' passes of one round meet at each batch norm
 * through shared memory. Each worker writes its per-channel sums into its own slot, waits at a barrier, and
 * reads every slot back, adding them in worker order. So all workers get bit-identical statistics.
 *
 * Two halves of slots alternate between meetings. A worker can only overwrite a half after everyone
 * has passed the meeting that followed its last use, and by then everyone has finished reading it.
 */

/** Message of the error a worker throws when another worker failed mid-step. */
export const ANOTHER_WORKER_FAILED = 'another gradient worker failed during a synchronised batch norm';

// Int32 control words.
const ARRIVED = 0;
const GENERATION = 1;
const ABORTED = 2;

/** The shared memory of the meetings, made by the trainer and handed to every worker. */
export interface SyncBuffers {
  control: SharedArrayBuffer;
  slots: SharedArrayBuffer;
  /** Float64 values per slot: twice the widest batch norm's channels. */
  slotSize: number;
  workers: number;
}

/** Buffers for `workers` workers whose widest batch norm has `maxChannels` channels. */
export function createSyncBuffers(workers: number, maxChannels: number): SyncBuffers {
  const slotSize = 2 * maxChannels;
  return {
    control: new SharedArrayBuffer(3 * 4),
    slots: new SharedArrayBuffer(2 * workers * slotSize * 8),
    slotSize,
    workers,
  };
}

/** Clears the barrier before a step. Only call it while no worker is running a step. */
export function resetSync(buffers: SyncBuffers): void {
  new Int32Array(buffers.control).fill(0);
}

/** Releases every worker waiting at a meeting with `ANOTHER_WORKER_FAILED`. Other steps see it until `resetSync`. */
export function abortSync(buffers: SyncBuffers): void {
  const control = new Int32Array(buffers.control);
  Atomics.store(control, ABORTED, 1);
  Atomics.notify(control, GENERATION);
}

/** One worker's side of the meetings for one pass. */
export class ReplicaBatchNormSync implements BatchNormSync {
  private readonly control: Int32Array;
  private readonly slots: Float64Array;

  /**
   * @param worker this worker's index.
   * @param replicas workers meeting in this round: workers `0 .. replicas - 1`.
   * @param totalImages images in the round's passes together.
   * @param lossShare this pass's share of the step's loss.
   */
  constructor(
    private readonly buffers: SyncBuffers,
    private readonly worker: number,
    private readonly replicas: number,
    readonly totalImages: number,
    private readonly lossShare: number,
  ) {
    this.control = new Int32Array(buffers.control);
    this.slots = new Float64Array(buffers.slots);
  }

  sumStatistics(values: Float64Array): void {
    this.meet(values);
  }

  sumGradientStatistics(values: Float64Array): void {
    for (let i = 0; i < values.length; i++) values[i] *= this.lossShare;
    this.meet(values);
    for (let i = 0; i < values.length; i++) values[i] /= this.lossShare;
  }

  private meet(values: Float64Array): void {
    const { slotSize, workers } = this.buffers;
    if (values.length > slotSize) throw new Error(`synchronised batch norm: ${values.length} values exceed the slot of ${slotSize}`);
    // The generation cannot move before this worker arrives, so this is the meeting it joins.
    const generation = Atomics.load(this.control, GENERATION);
    const half = (generation % 2) * workers;
    this.slots.set(values, (half + this.worker) * slotSize);
    if (Atomics.add(this.control, ARRIVED, 1) === this.replicas - 1) {
      Atomics.store(this.control, ARRIVED, 0);
      Atomics.add(this.control, GENERATION, 1);
      Atomics.notify(this.control, GENERATION);
    } else {
      while (Atomics.load(this.control, GENERATION) === generation) {
        if (Atomics.load(this.control, ABORTED) !== 0) throw new Error(ANOTHER_WORKER_FAILED);
        Atomics.wait(this.control, GENERATION, generation, 1000);
      }
    }
    values.fill(0);
    for (let replica = 0; replica < this.replicas; replica++) {
      const start = (half + replica) * slotSize;
      for (let i = 0; i < values.length; i++) values[i] += this.slots[start + i];
    }
  }
}
