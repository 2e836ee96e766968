/**
 * Synchronised batch norm. When replicas of one model train on separate threads (data parallelism), each
 * pass sees only its share of the batch. A training-mode batch norm normally takes its statistics from that
 * share alone. When a replica installs a `BatchNormSync` for a pass, every training-mode batch norm instead
 * sums its per-channel statistics with the other replicas'. The forward pass shares the mean and then the
 * variance; the backward pass shares the two sums the input gradient needs. So the replicas together
 * normalise, and differentiate, exactly as one pass over the whole batch would.
 *
 * Every replica must run the same layers in the same order, because each call is a meeting point.
 */
export interface BatchNormSync {
  /** Images in all the replicas' passes together (this replica's pass holds `x.shape[0]` of them). */
  readonly totalImages: number;
  /**
   * Replaces `values` with their element-wise sum over the replicas. Every replica gets the same
   * result, summed in the same order.
   */
  sumStatistics(values: Float64Array): void;
  /**
   * The same, for sums of loss gradients. Each replica's sums are scaled by its pass's share of the
   * step's loss before they are added. The result is returned in this replica's own scale.
   */
  sumGradientStatistics(values: Float64Array): void;
}

let active: BatchNormSync | undefined;

/**
 * Installs `sync` for this thread's training-mode batch norms until it is replaced, or removed with
 * `undefined`. The default is no synchronisation.
 */
export function setBatchNormSync(sync: BatchNormSync | undefined): void {
  active = sync;
}

/** The installed synchronisation, if any. */
export function batchNormSync(): BatchNormSync | undefined {
  return active;
}

/** Rows (pixels) over all replicas, from this replica's `rows` over `images` images. */
export function syncedRows(sync: BatchNormSync, rows: number, images: number): number {
  return (rows / images) * sync.totalImages;
}
