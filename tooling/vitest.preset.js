import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Maps every `@edet/<name>` import to `packages/<name>/src/index.ts`, and every subpath the package
 * exports, `@edet/<name>/<subpath>`, to `packages/<name>/src/<subpath>.ts` or
 * `packages/<name>/src/<subpath>/index.ts` (whichever exists), so tests run against the sources without a
 * build. A subpath with neither (a data file such as `@edet/bccd-d0/model.json`) resolves through the
 * package's exports map as usual. (The built packages are tested separately by the plain-Node and CLI tests.)
 * @param {string} root the repository root
 */
export function workspaceAliases(root) {
  const packages = join(root, 'packages');
  return readdirSync(packages).flatMap((name) => {
    const source = join(packages, name, 'src');
    const { exports = {} } = JSON.parse(readFileSync(join(packages, name, 'package.json'), 'utf8'));
    const subpaths = Object.keys(exports)
      .filter((key) => key.startsWith('./'))
      .map((key) => key.slice(2))
      .flatMap((subpath) => {
        const file = [join(source, `${subpath}.ts`), join(source, subpath, 'index.ts')].find((candidate) => existsSync(candidate));
        return file === undefined ? [] : [{ find: new RegExp(`^@edet/${name}/${subpath}$`), replacement: file }];
      });
    return [...subpaths, { find: new RegExp(`^@edet/${name}$`), replacement: join(source, 'index.ts') }];
  });
}
