#!/usr/bin/env node
// One entry point for a fresh machine with only Node 20 and npm:
//   npm start  -> install, build, run `edet detect` on the bundled samples
//   npm test   -> install, build, typecheck, make sure Debian's Chromium is there (for the browser tests),
//                 then every suite: Node (including the demo driven in Chromium) and browser mode
// pnpm comes from the npm registry through npx at the version pinned in package.json.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const { packageManager } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

// Setup steps print to stderr (their stdout goes to fd 2), so that with `npm start --silent -- IMG --json`
// stdout carries edet's JSON alone.
function run(command, args, stdout = 2) {
  console.error(`\n> ${command} ${args.join(' ')}`);
  const result = spawnSync(command, args, { cwd: root, stdio: ['inherit', stdout, 'inherit'], shell: process.platform === 'win32' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

const pnpm = (...args) => run('npx', ['--yes', packageManager, ...args]);

const task = process.argv[2];
if (task !== 'start' && task !== 'test') {
  console.error('usage: bootstrap.mjs start|test');
  process.exit(2);
}

pnpm('install', '--frozen-lockfile');
// For tests, build and typecheck in one turbo run: a package's typecheck overlaps the builds of the others.
pnpm('exec', 'turbo', 'run', 'build', ...(task === 'test' ? ['typecheck'] : []), '--output-logs=errors-only');
if (task === 'start') {
  // The built CLI itself, not `pnpm edet`, whose banner would go to stdout.
  run(process.execPath, ['apps/trainer/dist/cli.js', 'detect', ...process.argv.slice(3)], 'inherit');
} else {
  run('node', ['tooling/scripts/ensure-chromium.mjs']);
  run('npx', ['--yes', packageManager, 'exec', 'vitest', 'run', ...process.argv.slice(3)], 'inherit');
  // The model packages' suites again, in headless Chromium on WebGL and WebGPU.
  if (process.argv.length <= 3) run('npx', ['--yes', packageManager, 'exec', 'vitest', 'run', '--config', 'vitest.browser.config.ts'], 'inherit');
}
