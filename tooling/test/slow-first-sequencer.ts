import { relative } from 'node:path';

import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The suite's longest files, roughly longest first, as measured on a 2-core machine. Starting them
 * first keeps both workers busy to the end: left to vitest's default order (cached durations, which a
 * fresh clone does not have, else larger files first) a three-minute file can start last and run alone.
 * A file missing from this list only loses its head start.
 */
export const SLOW_FILES: readonly string[] = [
  // The Chromium files and the npm installs start apart, each beside single-process files: together
  // they would compete for the cores with their browser and npm processes.
  'apps/demo/test/demo-backends.test.ts', // Chromium on four backends
  'packages/model/test/golden-parity.test.ts',
  'packages/model/test/golden-effdet.test.ts',
  'apps/trainer/test/train-lite0.test.ts', // Lite0 trained at 320 for 20 steps
  'apps/demo/test/demo-page.test.ts',
  'packages/model/test/overfit-bccd.test.ts',
  'tooling/test/standalone-install.test.ts', // npm installs of every packed package
  'packages/model/test/model-gradients.test.ts',
  'apps/demo/test/demo-train.test.ts', // Chromium: Lite0 trained in the page for 20 steps
  'apps/demo/test/demo-resume.test.ts', // Chromium: a run checkpointed, closed, resumed, and run again
  'apps/trainer/test/train-run.test.ts',
  'packages/train/test/parallel-step.test.ts',
  'apps/trainer/test/train-safety.test.ts',
  'packages/model/test/presets.test.ts',
  'apps/trainer/test/bundled-model.test.ts',
  'apps/trainer/test/cli-stdout.e2e.test.ts',
  'apps/trainer/test/cli.e2e.test.ts',
  'apps/trainer/test/convert.test.ts',
  'apps/demo/test/demo-label.test.ts', // Chromium, no model: builds the demo and labels two images (about 12 s)
];

/** vitest's order, with `SLOW_FILES` moved to the front in their listed order. */
export class SlowFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (spec: TestSpecification) => {
      const index = SLOW_FILES.indexOf(relative(spec.project.config.root, spec.moduleId).split('\\').join('/'));
      return index === -1 ? SLOW_FILES.length : index;
    };
    // Array.prototype.sort is stable: files off the list keep vitest's order.
    return sorted.sort((a, b) => rank(a) - rank(b));
  }
}
