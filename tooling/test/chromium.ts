/**
 * How the browser tests start Chromium: Debian's build at /usr/bin/chromium (or `EDET_CHROMIUM`), headless,
 * driven by playwright-core. No browser is ever downloaded: `tooling/scripts/ensure-chromium.mjs` installs
 * Debian's package. Shared by `apps/demo/test` and `vitest.browser.config.ts`.
 */
import { existsSync } from 'node:fs';

/** The Chromium executable the tests drive. */
export const CHROMIUM_PATH = process.env.EDET_CHROMIUM ?? '/usr/bin/chromium';

/** Flags for a quiet, offline, throwaway browser (Playwright adds a fresh profile and `--headless`): no WebGPU. */
export const QUIET_FLAGS: readonly string[] = [
  '--no-sandbox',
  '--no-first-run',
  // The test machines have no network: without these, Chromium keeps trying to reach Google's servers.
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
];

/**
 * GPU flags for machines without a GPU. WebGL2 runs on SwiftShader (through ANGLE) as it is. WebGPU needs
 * `--enable-unsafe-webgpu` to get an adapter on Linux, and the other three for tfjs's synchronous
 * read-back (`dataSync`), which copies through a WebGPU canvas: without Vulkan on SwiftShader for the
 * compositor, that copy reads zeros and the device is lost. `--disable-gpu` must not be set: it turns that
 * path off as well.
 */
const GPU_FLAGS = ['--enable-unsafe-webgpu', '--use-angle=swiftshader', '--enable-features=Vulkan', '--use-vulkan=swiftshader'];

/** Every flag the browser tests start Chromium with. */
export const CHROMIUM_ARGS: readonly string[] = [...QUIET_FLAGS, ...GPU_FLAGS];

/** Throws, saying how to install Chromium, when it is missing. */
export function assertChromium(): void {
  if (existsSync(CHROMIUM_PATH)) return;
  throw new Error(
    `Chromium not found at ${CHROMIUM_PATH}. The browser tests need Debian's chromium: run ` +
      '`node tooling/scripts/ensure-chromium.mjs` (as root it runs `apt-get install -y chromium`), ' +
      'or set EDET_CHROMIUM to another Chromium executable.',
  );
}
