// Locates the shared fixtures (weights, golden outputs, images) that live beside the repository in ../shared.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file is packages/tensor/test/shared-fixtures.ts). */
export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * Absolute path of `../shared/<parts...>` relative to the repository root.
 * @throws Error naming the missing path, so a test fails with a clear reason rather than ENOENT deep inside.
 */
export function sharedPath(...parts: string[]): string {
  const path = resolve(repoRoot, '..', 'shared', ...parts);
  if (!existsSync(path)) {
    const relative = parts.join('/');
    throw new Error(`../shared/${relative} is missing: this test needs the shared fixtures beside the repository`);
  }
  return path;
}
