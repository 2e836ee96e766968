import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Maps every `@edet/<name>` import to `packages/<name>/src/index.ts`, and every subpath the package exports
 * (`@edet/<name>/<subpath>`, from its package.json `exports`) to `packages/<name>/src/<subpath>.ts` or
 * `src/<subpath>/index.ts`, whichever exists, so tests run against the sources without a build. (The built
 * packages are tested separately by the plain-Node and CLI tests.)
 * @param {string} root the repository root
 */
export function workspaceAliases(root) {
  const packages = join(root, 'packages');
  return readdirSync(packages).flatMap((name) => {
    const { exports = {} } = JSON.parse(readFileSync(join(packages, name, 'package.json'), 'utf8'));
    const subpaths = Object.keys(exports)
      .filter((key) => key.startsWith('./') && key !== './package.json')
      .map((key) => key.slice(2));
    return [
      ...subpaths.flatMap((subpath) => {
        const source = join(packages, name, 'src', subpath);
        const file = [`${source}.ts`, join(source, 'index.ts')].find((candidate) => existsSync(candidate));
        return file === undefined ? [] : [{ find: new RegExp(`^@edet/${name}/${subpath}$`), replacement: file }];
      }),
      { find: new RegExp(`^@edet/${name}$`), replacement: join(packages, name, 'src', 'index.ts') },
    ];
  });
}
