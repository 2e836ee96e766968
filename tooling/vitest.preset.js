import { readdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Maps every `@edet/<name>` import to `packages/<name>/src/index.ts`, so tests run against the sources
 * without a build. (The built packages are tested separately by the plain-Node and CLI tests.)
 * @param {string} root the repository root
 */
export function workspaceAliases(root) {
  const packages = join(root, 'packages');
  return readdirSync(packages).map((name) => ({
    find: new RegExp(`^@edet/${name}$`),
    replacement: join(packages, name, 'src', 'index.ts'),
  }));
}
