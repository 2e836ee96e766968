import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { chromium, type Browser } from 'playwright-core';

import { CHROMIUM_ARGS, CHROMIUM_PATH, assertChromium } from '../../../../tooling/test/chromium.js';
import { sharedDemoBuild } from './build-demo.js';
import { serveDirectory } from './static-server.js';

/** A built demo, served (the bundled model hidden, as the page tests expect), and a headless Chromium. */
export interface DemoSession {
  browser: Browser;
  /** The page's URL. */
  url: string;
  /** Closes the browser and the server. */
  close(): Promise<void>;
}

/** Serves the run's demo build (`sharedDemoBuild`) and launches Chromium (throws, saying how to install it, when it is missing). */
export async function startDemoSession(): Promise<DemoSession> {
  assertChromium();
  const outDir = await sharedDemoBuild();
  const server = await serveDirectory(outDir, { hide: ['models/'] });
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: [...CHROMIUM_ARGS], headless: true });
  return {
    browser,
    url: server.url,
    close: async () => {
      await browser.close();
      await server.close();
    },
  };
}

/** The bundled BCCD copy the trainer ships (`images/`, `instances_train.json`). */
export const BCCD = join(import.meta.dirname, '..', '..', '..', 'trainer', 'assets', 'bccd');

/** The first `count` images of BCCD's training split and a COCO file of their annotations, written in `folder`. */
export function writeBccdSubset(folder: string, count: number): { json: string; images: string[] } {
  const coco = JSON.parse(readFileSync(join(BCCD, 'instances_train.json'), 'utf8'));
  const images = coco.images.slice(0, count);
  const ids = new Set(images.map((image: { id: number }) => image.id));
  const annotations = coco.annotations.filter((annotation: { image_id: number }) => ids.has(annotation.image_id));
  const json = join(folder, 'subset.json');
  writeFileSync(json, JSON.stringify({ ...coco, images, annotations }));
  return { json, images: images.map((image: { file_name: string }) => join(BCCD, 'images', image.file_name)) };
}
