import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { build } from 'vite';

/** The demo app's folder. */
export const DEMO_ROOT = join(import.meta.dirname, '..', '..');

/**
 * Builds the demo as `vite build` does, into a fresh temporary folder (so that test files building at the
 * same time never share an output), and returns that folder.
 */
export async function buildDemo(): Promise<string> {
  const outDir = mkdtempSync(join(tmpdir(), 'edet-demo-'));
  await build({
    configFile: join(DEMO_ROOT, 'vite.config.ts'),
    logLevel: 'warn',
    build: { outDir, emptyOutDir: true },
  });
  return outDir;
}
