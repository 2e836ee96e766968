#!/usr/bin/env node
// Makes sure Debian's Chromium is at /usr/bin/chromium for the browser tests (apps/demo/test, test:browser).
// The tests drive it with playwright-core; they never download a browser of their own, because the
// machines this project runs on reach only the npm registry and Debian's packages.
//   node tooling/scripts/ensure-chromium.mjs   -> exit 0 when Chromium is there (installing it if root)
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Where the browser tests look for Chromium (Debian's `chromium` package puts it here). */
const CHROMIUM_PATH = process.env.EDET_CHROMIUM ?? '/usr/bin/chromium';

function run(command) {
  console.log(`> ${command}`);
  const result = spawnSync('sh', ['-c', command], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  return result.status === 0;
}

if (existsSync(CHROMIUM_PATH)) {
  console.log(`chromium: ${CHROMIUM_PATH} is present`);
  process.exit(0);
}

if (process.env.EDET_CHROMIUM !== undefined) {
  console.error(`chromium: EDET_CHROMIUM is ${CHROMIUM_PATH}, which does not exist; point it at a Chromium executable or unset it`);
  process.exit(1);
}

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const hasAptGet = spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status === 0;
if (!isRoot || !hasAptGet) {
  console.error(
    [
      `chromium: ${CHROMIUM_PATH} is missing; the browser tests need it.`,
      hasAptGet
        ? '  Install it as root:  sudo apt-get update && sudo apt-get install -y chromium'
        : '  Install a Chromium build and point EDET_CHROMIUM at its executable (e.g. EDET_CHROMIUM=/path/to/chrome).',
    ].join('\n'),
  );
  process.exit(1);
}

if (!run('apt-get update') || !run('apt-get install -y chromium') || !existsSync(CHROMIUM_PATH)) {
  console.error(`chromium: the install failed; ${CHROMIUM_PATH} is still missing (see apt-get's output above)`);
  process.exit(1);
}
console.log(`chromium: installed ${CHROMIUM_PATH}`);
