import { defineConfig } from 'vitest/config';

import { SlowFirstSequencer } from './tooling/test/slow-first-sequencer.js';
import { workspaceAliases } from './tooling/vitest.preset.js';

// One run covers every package and app; tests import workspace packages from source.
export default defineConfig({
  resolve: { alias: workspaceAliases(import.meta.dirname) },
  test: {
    setupFiles: ['tooling/test/setup-backend.ts'],
    // The demo's page tests share one build of the demo (apps/demo/test/support/build-demo.ts).
    globalSetup: ['apps/demo/test/support/demo-build-folder.ts'],
    include: ['packages/*/test/**/*.test.ts', 'apps/*/test/**/*.test.ts', 'tooling/test/**/*.test.ts'],
    // `*.browser.test.ts` need a browser (Web Workers, Vite's `?url`): vitest.browser.config.ts runs them.
    exclude: ['**/node_modules/**', '**/*.browser.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    fileParallelism: true,
    maxWorkers: 2,
    sequence: { sequencer: SlowFirstSequencer },
  },
});
