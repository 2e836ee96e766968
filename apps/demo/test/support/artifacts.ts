import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { DEMO_ROOT } from './build-demo.js';

/** `test-artifacts/demo/` at the repository root (git-ignored): screenshots and measurements of the runs. */
export const ARTIFACTS_DIRECTORY = join(DEMO_ROOT, '..', '..', 'test-artifacts', 'demo');

/** The path of an artefact, its folder created. */
export function artifactPath(name: string): string {
  mkdirSync(ARTIFACTS_DIRECTORY, { recursive: true });
  return join(ARTIFACTS_DIRECTORY, name);
}

/** Writes a JSON artefact. */
export function writeArtifact(name: string, value: unknown): void {
  writeFileSync(artifactPath(name), `${JSON.stringify(value, null, 2)}\n`);
}
