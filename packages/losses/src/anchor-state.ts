/**
 * The per-anchor training state `assignAnchors` (in `@edet/anchors`) writes: an anchor whose best IoU with
 * a ground-truth box is >= 0.5 is positive, < 0.4 negative, and in between ignored (it adds no loss).
 */
export const AnchorState = {
  positive: 1,
  negative: 0,
  ignored: -1,
} as const;

/** One of the `AnchorState` values. */
export type AnchorStateValue = (typeof AnchorState)[keyof typeof AnchorState];
