import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { build } from 'vite';
import { inject } from 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    /** An empty folder for this run's one demo build (`demo-build-folder.ts`). */
    demoBuildFolder: string;
  }
}

/** The demo app's folder. */
export const DEMO_ROOT = join(import.meta.dirname, '..', '..');

/**
 * Builds the demo as `vite build` does, into `outDir` (by default a fresh temporary folder, so that test
 * files building at the same time never share an output), and returns that folder.
 */
export async function buildDemo(outDir = mkdtempSync(join(tmpdir(), 'edet-demo-'))): Promise<string> {
  await build({
    configFile: join(DEMO_ROOT, 'vite.config.ts'),
    logLevel: 'warn',
    build: { outDir, emptyOutDir: true },
  });
  return outDir;
}

/**
 * The demo built once for the whole vitest run, in the folder the global setup made (and removes after the
 * run): the first test file to ask builds it, the others wait for that build. Callers only read (serve) it.
 * One build instead of one per file: the files all test the same sources.
 */
export async function sharedDemoBuild(): Promise<string> {
  const folder = inject('demoBuildFolder');
  const outDir = join(folder, 'build');
  const done = join(folder, 'done');
  const failed = join(folder, 'failed');
  let builder = true;
  try {
    // mkdir is atomic: exactly one file wins and builds.
    mkdirSync(join(folder, 'lock'));
  } catch {
    builder = false;
  }
  if (builder) {
    try {
      await buildDemo(outDir);
    } catch (error) {
      writeFileSync(failed, String(error));
      throw error;
    }
    writeFileSync(done, '');
    return outDir;
  }
  // The hook's timeout bounds the wait.
  while (!existsSync(done)) {
    if (existsSync(failed)) throw new Error(`the demo build, made by another test file, failed: ${readFileSync(failed, 'utf8')}`);
    await sleep(100);
  }
  return outDir;
}
