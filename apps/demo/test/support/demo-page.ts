import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { Browser, BrowserContext, Page } from 'playwright-core';

import type { ComparableDetection } from './compare-detections.js';

/** The window size the page tests use. */
export const DEMO_VIEWPORT = { width: 1280, height: 1000 };

/** A detection row of the page, parsed from its data attributes. */
export interface PageDetection extends ComparableDetection {
  box: [number, number, number, number];
  label: string;
}

/**
 * Opens the demo with URL parameters (`backend`, `model`, `sample`, `score`, `iou`) in a fresh page and collects
 * its errors: uncaught exceptions, console errors and failed requests (a missing favicon included), except
 * the expected 404 of the absent model manifest (`models/`). A `BrowserContext` (made with `DEMO_VIEWPORT`)
 * opens the page in it, so that it shares the context's storage (IndexedDB) with the context's other pages.
 */
export async function openDemo(owner: Browser | BrowserContext, baseUrl: string, parameters: Record<string, string>): Promise<{ page: Page; errors: string[] }> {
  const page = 'newContext' in owner ? await owner.newPage({ viewport: DEMO_VIEWPORT }) : await owner.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error' && !message.text().includes('404')) errors.push(`console: ${message.text()}`);
  });
  page.on('response', (response) => {
    if (response.status() >= 400 && !new URL(response.url()).pathname.includes('/models/')) {
      errors.push(`HTTP ${response.status()}: ${response.url()}`);
    }
  });
  await page.goto(`${baseUrl}?${new URLSearchParams(parameters)}`);
  return { page, errors };
}

/** Waits until a backend is active (or none could start) and returns its name. */
export async function activeBackend(page: Page, timeout = 60_000): Promise<string> {
  await page.waitForFunction(
    () => document.querySelector('#active-backend')?.getAttribute('data-backend') || document.querySelector('#status')?.getAttribute('data-state') === 'error',
    null,
    { timeout },
  );
  return (await page.getAttribute('#active-backend', 'data-backend')) ?? '';
}

/** Waits until the worker has finished `runs` network runs in total (the page counts them per backend). */
export async function waitForRuns(page: Page, runs: number, timeout: number): Promise<void> {
  await page.waitForFunction(
    (count) => Number(document.querySelector('#timings')?.getAttribute('data-runs')) >= count && document.querySelector('#status')?.getAttribute('data-state') !== 'busy',
    runs,
    { timeout, polling: 100 },
  );
}

/** The number of network runs so far. */
export async function runCount(page: Page): Promise<number> {
  return Number(await page.getAttribute('#timings', 'data-runs'));
}

/** Every detection row, in page order (best first). */
export async function pageDetections(page: Page): Promise<PageDetection[]> {
  return page.$$eval('[data-testid="detection-row"]', (rows) =>
    rows.map((row) => {
      const data = (row as HTMLElement).dataset;
      return {
        classId: Number(data.class),
        label: data.label ?? '',
        score: Number(data.score),
        box: [Number(data.x1), Number(data.y1), Number(data.x2), Number(data.y2)] as [number, number, number, number],
      };
    }),
  );
}

/** Moves a slider as a user would (an `input` event), without waiting for anything. */
export async function setSlider(page: Page, id: 'score-threshold' | 'iou-threshold', value: number): Promise<void> {
  await page.$eval(
    `#${id}`,
    (slider, next) => {
      (slider as HTMLInputElement).value = String(next);
      slider.dispatchEvent(new Event('input', { bubbles: true }));
    },
    value,
  );
}

let uploadFolder: string | undefined;

/**
 * Picks a weights file in the page's file input, as a file on disk: Playwright sends an in-memory buffer
 * to the browser base64-encoded (seconds for a 15 MB D0), a path in no time. The files stay until the test
 * process exits, since the page reads them when it likes.
 */
export async function uploadWeights(page: Page, bytes: Uint8Array, name: string): Promise<void> {
  if (uploadFolder === undefined) {
    const folder = mkdtempSync(join(tmpdir(), 'edet-demo-upload-'));
    process.once('exit', () => rmSync(folder, { recursive: true, force: true }));
    uploadFolder = folder;
  }
  const fileFolder = mkdtempSync(join(uploadFolder, 'file-'));
  const path = join(fileFolder, name);
  writeFileSync(path, bytes);
  await page.setInputFiles('#weights-input', path);
}

/**
 * The longest stall of the page's main thread over `durationMs`, sampled with 10 ms timers: stays small
 * while the worker computes, because the network never runs on the page's thread.
 */
export async function longestMainThreadStall(page: Page, durationMs: number): Promise<number> {
  return page.evaluate(
    (duration) =>
      new Promise<number>((resolve) => {
        let last = performance.now();
        let worst = 0;
        const end = last + duration;
        const tick = () => {
          const now = performance.now();
          worst = Math.max(worst, now - last);
          last = now;
          if (now < end) setTimeout(tick, 10);
          else resolve(worst);
        };
        setTimeout(tick, 10);
      }),
    durationMs,
  );
}
