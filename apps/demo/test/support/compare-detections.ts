/** A detection as both sides report it: box `[x1, y1, x2, y2]` in original-image pixels. */
export interface ComparableDetection {
  box: readonly number[];
  score: number;
  classId: number;
}

/** How far a backend may be from the reference. */
export interface Tolerance {
  /** Largest difference of any box coordinate, in pixels. */
  box: number;
  /** Largest score difference. */
  score: number;
}

/** What `compareDetections` found: the problems (empty when equal within tolerance) and the largest gaps. */
export interface Comparison {
  problems: string[];
  maxBoxDifference: number;
  maxScoreDifference: number;
  matched: number;
}

const describe = (d: ComparableDetection) => `class ${d.classId} score ${d.score.toFixed(6)} box [${d.box.map((v) => v.toFixed(2)).join(', ')}]`;

/**
 * Compares detections with a reference, both best first. Each reference detection must have a partner in
 * `actual` (same class, box and score within `tolerance`), and the other way round; only detections
 * scoring within `tolerance.score` of `scoreThreshold` may lack one (rounding can put them on either side).
 * Ranks must agree too, except between detections whose reference scores are within `2 * tolerance.score`
 * of each other, which rounding may swap.
 */
export function compareDetections(
  actual: readonly ComparableDetection[],
  reference: readonly ComparableDetection[],
  tolerance: Tolerance,
  scoreThreshold: number,
): Comparison {
  const problems: string[] = [];
  let maxBoxDifference = 0;
  let maxScoreDifference = 0;
  const partnerOf = (detection: ComparableDetection, pool: readonly ComparableDetection[], taken: Set<number>) => {
    let best = -1;
    let bestGap = Infinity;
    pool.forEach((candidate, index) => {
      if (taken.has(index) || candidate.classId !== detection.classId) return;
      const boxGap = Math.max(...candidate.box.map((value, k) => Math.abs(value - detection.box[k])));
      const scoreGap = Math.abs(candidate.score - detection.score);
      if (boxGap <= tolerance.box && scoreGap <= tolerance.score && boxGap < bestGap) {
        best = index;
        bestGap = boxGap;
      }
    });
    return best;
  };
  const nearThreshold = (detection: ComparableDetection) => detection.score - scoreThreshold <= tolerance.score;

  const takenActual = new Set<number>();
  const partners = new Map<number, number>();
  reference.forEach((expected, index) => {
    const partner = partnerOf(expected, actual, takenActual);
    if (partner === -1) {
      if (!nearThreshold(expected)) problems.push(`missing: ${describe(expected)} (reference rank ${index + 1})`);
      return;
    }
    takenActual.add(partner);
    partners.set(index, partner);
    const found = actual[partner];
    maxBoxDifference = Math.max(maxBoxDifference, ...found.box.map((value, k) => Math.abs(value - expected.box[k])));
    maxScoreDifference = Math.max(maxScoreDifference, Math.abs(found.score - expected.score));
  });
  actual.forEach((found, index) => {
    if (!takenActual.has(index) && !nearThreshold(found)) problems.push(`unexpected: ${describe(found)} (rank ${index + 1})`);
  });

  // A rank may differ only through ties within rounding with a neighbour in the reference.
  for (const [index, partner] of partners) {
    if (partner === index) continue;
    const low = Math.min(index, partner);
    const high = Math.max(index, partner);
    const span = reference[low].score - (reference[Math.min(high, reference.length - 1)]?.score ?? 0);
    if (span > 2 * tolerance.score) problems.push(`rank ${index + 1} moved to ${partner + 1}: ${describe(reference[index])}`);
  }
  return { problems, maxBoxDifference, maxScoreDifference, matched: partners.size };
}
