import { defineConfig } from 'vitest/config';

import { SlowFirstSequencer } from './tooling/test/slow-first-sequencer.js';
import { workspaceAliases } from './tooling/vitest.preset.js';

const INCLUDE = ['packages/*/test/**/*.test.ts', 'apps/*/test/**/*.test.ts', 'tooling/test/**/*.test.ts'];
// `*.browser.test.ts` need a browser (Web Workers, Vite's `?url`): vitest.browser.config.ts runs them.
const EXCLUDE = ['**/node_modules/**', '**/*.browser.test.ts'];

/**
 * Files that change what a process decides once: they turn on V8's relaxed SIMD before the kernels' module
 * is first compiled, which then holds (or lacks) the relaxed programs for the rest of the process. Each
 * runs in a process of its own; every other file shares its worker's process with the files before it.
 */
export const OWN_PROCESS_FILES = [
  'packages/wasm-kernels/test/kernels-relaxed-simd.test.ts',
  'packages/wasm-kernels/test/kernels-relaxed-simd-late.test.ts',
  'apps/trainer/test/bench-relaxed-simd.test.ts',
];

// One run covers every package and app; tests import workspace packages from source.
export default defineConfig({
  resolve: { alias: workspaceAliases(import.meta.dirname) },
  test: {
    setupFiles: ['tooling/test/setup-backend.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    fileParallelism: true,
    maxWorkers: 2,
    sequence: { sequencer: SlowFirstSequencer },
    projects: [
      {
        extends: true,
        test: {
          name: 'shared',
          include: INCLUDE,
          exclude: [...EXCLUDE, ...OWN_PROCESS_FILES],
          // Files run one after another in each worker's process, importing the workspace's modules once:
          // evaluating them again for every file cost about 0.7 s a file, a third of the suite's time. The
          // setup file still runs before each file (the default backend again); a file that changes other
          // process-wide state puts it back.
          isolate: false,
          // The demo's page tests share one build of the demo (apps/demo/test/support/build-demo.ts).
          globalSetup: ['apps/demo/test/support/demo-build-folder.ts'],
        },
      },
      { extends: true, test: { name: 'own-process', include: OWN_PROCESS_FILES, isolate: true } },
    ],
  },
});
