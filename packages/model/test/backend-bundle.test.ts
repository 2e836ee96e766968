/**
 * A browser app that imports `@edet/model` and `@edet/model/backends/webgpu` bundles no other backend: the
 * app below is bundled with esbuild (platform browser, the workspace packages from source) and the
 * bundler's metafile lists every module that went in.
 *
 * One exception, by tfjs's design: `@tensorflow/tfjs-backend-webgpu` (like -webgl) imports the cpu backend's
 * shared kernel implementations from `@tensorflow/tfjs-backend-cpu/dist/shared` (plain functions it runs
 * on small tensors on the CPU). Those modules come in, and only those: not the cpu backend itself
 * (`MathBackendCPU`, its `registerBackend('cpu')` in `base.js`), nor its kernel registrations
 * (`register_all_kernels.js`). Nothing of `@tensorflow/tfjs-backend-wasm` or `@edet/wasm-kernels` comes in.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

import { type Metafile, type Plugin, build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..', '..');

/** Resolves `@edet/<pkg>` and `@edet/<pkg>/<subpath>` to the sources, as the tests and the demo do. */
const workspaceSources: Plugin = {
  name: 'edet-workspace-sources',
  setup(bundler) {
    bundler.onResolve({ filter: /^@edet\// }, ({ path }) => {
      const [, name, subpath] = /^@edet\/([^/]+)(?:\/(.+))?$/.exec(path) as RegExpExecArray;
      const base = join(root, 'packages', name, 'src', subpath ?? 'index');
      const file = [`${base}.ts`, join(base, 'index.ts')].find((candidate) => existsSync(candidate));
      return file === undefined ? { errors: [{ text: `no source for ${path}` }] } : { path: file };
    });
  },
};

/** Bundles a minimal app that starts the backend exported by `@edet/model/backends/<backend>`. */
async function bundleApp(backend: string): Promise<{ inputs: string[]; metafile: Metafile; code: string }> {
  const app = [
    `import { EfficientDet, useBackend } from '@edet/model';`,
    `import { ${backend} } from '@edet/model/backends/${backend}';`,
    `await useBackend([${backend}]);`,
    `export const model = new EfficientDet({ compoundCoef: 0 });`,
  ].join('\n');
  const result = await build({
    stdin: { contents: app, resolveDir: join(root, 'packages', 'model'), sourcefile: 'app.ts', loader: 'ts' },
    bundle: true,
    write: false,
    metafile: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    outfile: 'app.js',
    plugins: [workspaceSources],
    logLevel: 'silent',
  });
  return { inputs: Object.keys(result.metafile.inputs), metafile: result.metafile, code: result.outputFiles[0].text };
}

/** The path of `input` inside package `name`, or `undefined` when it is not in that package. */
function inPackage(input: string, name: string): string | undefined {
  const at = input.lastIndexOf(`/${name}/`);
  return at < 0 ? undefined : input.slice(at + name.length + 2);
}

/** Every input reachable from `start` through the metafile's import records. */
function reachable(metafile: Metafile, start: string): Set<string> {
  const seen = new Set<string>([start]);
  const queue = [start];
  while (queue.length > 0) {
    for (const { path } of metafile.inputs[queue.pop() as string].imports) {
      if (path in metafile.inputs && !seen.has(path)) {
        seen.add(path);
        queue.push(path);
      }
    }
  }
  return seen;
}

describe('a browser bundle of @edet/model with the webgpu backend', () => {
  it('holds the webgpu backend and no module of the wasm backend or of @edet/wasm-kernels', async () => {
    const { inputs } = await bundleApp('webgpu');
    expect(inputs.some((input) => inPackage(input, '@tensorflow/tfjs-backend-webgpu') !== undefined)).toBe(true);
    expect(inputs.filter((input) => inPackage(input, '@tensorflow/tfjs-backend-wasm') !== undefined)).toEqual([]);
    expect(inputs.filter((input) => input.includes('packages/wasm-kernels/'))).toEqual([]);
    expect(inputs.filter((input) => /packages\/model\/src\/backends\/(cpu|wasm|webgl)\.ts$/.test(input))).toEqual([]);
  }, 60_000);

  it('holds of the cpu backend only the shared kernel implementations the webgpu backend imports', async () => {
    const { inputs, metafile, code } = await bundleApp('webgpu');
    const cpuInputs = inputs.filter((input) => inPackage(input, '@tensorflow/tfjs-backend-cpu') !== undefined);
    const shared = cpuInputs.find((input) => inPackage(input, '@tensorflow/tfjs-backend-cpu') === 'dist/shared.js');
    expect(shared, 'tfjs-backend-cpu/dist/shared.js').toBeDefined();
    // Everything of the cpu package in the bundle is there because of dist/shared.js...
    const fromShared = reachable(metafile, shared as string);
    expect(cpuInputs.filter((input) => !fromShared.has(input))).toEqual([]);
    // ...and that is kernel implementations and their utilities, not the backend or its registrations.
    const files = cpuInputs.map((input) => inPackage(input, '@tensorflow/tfjs-backend-cpu') as string);
    for (const backendFile of ['dist/index.js', 'dist/base.js', 'dist/backend_cpu.js', 'dist/register_all_kernels.js']) {
      expect(files, backendFile).not.toContain(backendFile);
    }
    expect(files.filter((file) => !/^dist\/(shared|cpu_util)\.js$|^dist\/(kernels|utils)\//.test(file))).toEqual([]);
    expect(code).not.toContain('MathBackendCPU');
  }, 60_000);

  it('would show the cpu backend if it came in (the same checks on an app that imports it)', async () => {
    const { inputs, code } = await bundleApp('cpu');
    const files = inputs.map((input) => inPackage(input, '@tensorflow/tfjs-backend-cpu')).filter((file) => file !== undefined);
    expect(files).toContain('dist/backend_cpu.js');
    expect(code).toContain('MathBackendCPU');
  }, 60_000);
});
