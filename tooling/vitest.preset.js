import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Maps every `@edet/<name>` import to `packages/<name>/src/index.ts`, and every subpath the package exports
 * (`@edet/<name>/<subpath>`, from its package.json `exports`) to `packages/<name>/src/<subpath>.ts` or
 * `packages/<name>/src/<subpath>/index.ts`, whichever exists, so tests run against the sources without a
 * build. (The built packages are tested separately by the plain-Node and CLI tests.)
 * @param {string} root the repository root
 */
export function workspaceAliases(root) {
  const packages = join(root, 'packages');
  return readdirSync(packages).flatMap((name) => {
    const source = join(packages, name, 'src');
    const subpaths = exportedSubpaths(join(packages, name, 'package.json')).flatMap((subpath) => {
      const file = [join(source, `${subpath}.ts`), join(source, subpath, 'index.ts')].find((candidate) => existsSync(candidate));
      return file === undefined ? [] : [{ find: new RegExp(`^@edet/${name}/${escapeRegExp(subpath)}$`), replacement: file }];
    });
    return [{ find: new RegExp(`^@edet/${name}$`), replacement: join(source, 'index.ts') }, ...subpaths];
  });
}

/** The subpaths (`node`, `backends/webgpu`) a package.json's `exports` names, other than `.` and `./package.json`. */
function exportedSubpaths(manifest) {
  if (!existsSync(manifest)) return [];
  const { exports } = JSON.parse(readFileSync(manifest, 'utf8'));
  if (exports === null || typeof exports !== 'object') return [];
  return Object.keys(exports)
    .filter((key) => key.startsWith('./') && key !== './package.json')
    .map((key) => key.slice(2));
}

function escapeRegExp(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
