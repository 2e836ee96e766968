import { createRandom, deriveSeed, type Random } from '@edet/data';
import type { EfficientDet } from '@edet/model';

/**
 * Makes the backbone's drop-connect masks depend on the step, not on how many steps this process has run.
 * The backbone draws them from one generator seeded at construction and shared by its blocks as their
 * `random` field, so a resumed run would restart that sequence. This replaces it on every block with one
 * that `reseed(step)` restarts from `(seed, step)` before each training step, so a resumed run draws the
 * masks the uninterrupted run would have.
 *
 * It reaches into the blocks' private `random` field; if the backbone changes shape it finds no block and
 * `blocks` is 0 (training still works, only exact resumption of the masks is lost).
 */
export class DropConnectRandom {
  private current: Random;
  /** Blocks whose generator was replaced. */
  readonly blocks: number;

  constructor(
    model: EfficientDet,
    private readonly seed: number,
  ) {
    this.current = createRandom(deriveSeed(seed, 'drop-connect', 0));
    const source: Random = () => this.current();
    let blocks = 0;
    for (const block of model.backbone.blocks.items) {
      const holder = block as unknown as { random?: unknown };
      if (typeof holder.random === 'function') {
        holder.random = source;
        blocks += 1;
      }
    }
    this.blocks = blocks;
  }

  /**
   * Restarts the masks' stream for training step `step`; `pass` gives each micro-batch of a step computed
   * on its own (by a gradient worker) a stream of its own.
   */
  reseed(step: number, pass?: number): void {
    const key = pass === undefined ? deriveSeed(this.seed, 'drop-connect', step) : deriveSeed(this.seed, 'drop-connect', step, pass);
    this.current = createRandom(key);
  }
}
