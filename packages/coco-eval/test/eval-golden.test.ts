import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

import { evaluateCoco } from '../src/evaluate.js';
import { COCO_EVAL_PARAMS } from '../src/params.js';

// The evaluator against pycocotools 2.0.11 goldens (scripts/make-coco-eval-goldens.py): every number must
// agree to 1e-9. The fixtures are self-contained JSON, so no Python and no ../shared are needed here.

const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));
const readJson = (path: string) => JSON.parse(readFileSync(`${fixtures}${path}`, 'utf8'));

interface Golden {
  useCats: boolean;
  stats: number[];
  perClass: { categoryId: number; name: string; stats: number[] }[];
  precisionSums: number[][][];
  recallSums: number[][][];
}

/** Asserts two equally shaped number lists agree entry by entry to 1e-9, naming the first that does not. */
function expectClose(actual: readonly number[], expected: readonly number[], what: string): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  expected.forEach((value, index) => {
    const difference = Math.abs(actual[index] - value);
    if (!(difference <= 1e-9)) expect.fail(`${what}[${index}]: ${actual[index]} vs pycocotools ${value}`);
  });
}

/** Sums `[T, R, K, A, M]` precision over T and R (or `[T, K, A, M]` recall over T) into `[K][A][M]`, flattened. */
function sumsOver(values: Float64Array, outer: number, inner: number, K: number, A: number, M: number): number[] {
  const sums = new Array<number>(K * A * M).fill(0);
  for (let o = 0; o < outer * inner; o++) for (let j = 0; j < K * A * M; j++) sums[j] += values[o * K * A * M + j];
  return sums;
}

const cases = readdirSync(fixtures, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .flatMap((folder) =>
    readdirSync(`${fixtures}${folder.name}`)
      .filter((file) => file.startsWith('golden'))
      .map((file) => ({ name: `${folder.name}/${file}`, folder: folder.name, file })),
  );

describe('evaluateCoco against pycocotools goldens', () => {
  it('finds the fixtures', () => {
    expect(cases.map((entry) => entry.name)).toEqual(
      expect.arrayContaining(['edges/golden.json', 'random/golden-class-agnostic.json', 'coco128-val/golden.json', 'crowd-only/golden.json']),
    );
  });

  it('uses numpy linspace thresholds bit for bit', () => {
    const params = readJson('params.json');
    expect(COCO_EVAL_PARAMS.iouThresholds).toEqual(params.iouThresholds);
    expect(COCO_EVAL_PARAMS.recallThresholds).toEqual(params.recallThresholds);
    expect(COCO_EVAL_PARAMS.maxDetections).toEqual(params.maxDetections);
    expect(COCO_EVAL_PARAMS.areaRanges.map(({ min, max }) => [min, max])).toEqual(params.areaRanges);
  });

  it.each(cases)('$name', ({ folder, file }) => {
    const golden: Golden = readJson(`${folder}/${file}`);
    const result = evaluateCoco(readJson(`${folder}/gt.json`), readJson(`${folder}/dets.json`), { useCats: golden.useCats });
    expectClose(result.stats, golden.stats, 'stats');
    expect(result.perClass.map(({ categoryId, name }) => ({ categoryId, name }))).toEqual(
      golden.perClass.map(({ categoryId, name }) => ({ categoryId, name })),
    );
    result.perClass.forEach((row, index) => expectClose(row.stats, golden.perClass[index].stats, `perClass[${row.categoryId}].stats`));
    const [T, R, K, A, M] = result.shape;
    expectClose(sumsOver(result.precision, T, R, K, A, M), golden.precisionSums.flat(2), 'precision summed over T, R');
    expectClose(sumsOver(result.recall, T, 1, K, A, M), golden.recallSums.flat(2), 'recall summed over T');
  });
});
