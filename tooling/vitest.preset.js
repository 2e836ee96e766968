import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Maps every `@edet/<name>` import to `packages/<name>/src/index.ts`, and every subpath entry the package
 * exports, `@edet/<name>/<sub>`, to `packages/<name>/src/<sub>.ts` or `packages/<name>/src/<sub>/index.ts`
 * (whichever exists), so tests run against the sources without a build. (The built packages are tested
 * separately by the plain-Node and CLI tests.)
 * @param {string} root the repository root
 */
export function workspaceAliases(root) {
  const packages = join(root, 'packages');
  return readdirSync(packages).flatMap((name) => {
    const source = join(packages, name, 'src');
    const manifest = join(packages, name, 'package.json');
    const exported = existsSync(manifest) ? Object.keys(JSON.parse(readFileSync(manifest, 'utf8')).exports ?? {}) : [];
    const subpaths = exported
      .filter((key) => key.startsWith('./') && key !== './package.json')
      .map((key) => key.slice(2))
      .flatMap((subpath) => {
        const file = [join(source, `${subpath}.ts`), join(source, subpath, 'index.ts')].find((path) => existsSync(path));
        return file === undefined ? [] : [{ find: new RegExp(`^@edet/${name}/${subpath}$`), replacement: file }];
      });
    return [{ find: new RegExp(`^@edet/${name}$`), replacement: join(source, 'index.ts') }, ...subpaths];
  });
}
