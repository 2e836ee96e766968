import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { TestProject } from 'vitest/node';

/**
 * vitest global setup (vitest.config.ts): an empty folder for the run's one demo build
 * (`sharedDemoBuild` in build-demo.ts), removed after the run. Nothing is built here, so a run without the
 * demo's page tests pays nothing.
 */
export default function setup(project: TestProject): () => void {
  const folder = mkdtempSync(join(tmpdir(), 'edet-demo-build-'));
  project.provide('demoBuildFolder', folder);
  return () => rmSync(folder, { recursive: true, force: true });
}
