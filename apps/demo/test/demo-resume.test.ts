import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';

import { artifactPath, writeArtifact } from './support/artifacts.js';
import { DEMO_VIEWPORT, activeBackend, openDemo } from './support/demo-page.js';
import { type DemoSession, startDemoSession, writeBccdSubset } from './support/demo-session.js';

// Nothing lost, in headless Chromium: a run of Lite0 at 64x64 on 4 BCCD training images (batch 2: 2 steps
// an epoch) checkpoints to IndexedDB after each epoch; it is paused after its first epoch and its tab
// closed; a new tab of the same browser context (same IndexedDB) offers to resume it, and the resumed run
// starts at the checkpoint's step with the checkpoint's weights and optimizer state (the SHA-256 of the
// trainer state the resumed worker restored equals the one it saved) and runs to the end. Then the same
// run, uninterrupted (paused and resumed once on the way), must end with the same weights file, byte for
// byte: every source of randomness derives from the seed and the step, and wasm computes the same thing twice.

const STEPS = 4;
const SIZE = 64;

let session: DemoSession | undefined;
const folder = mkdtempSync(join(tmpdir(), 'edet-demo-resume-'));

beforeAll(async () => {
  session = await startDemoSession();
}, 120_000);

afterAll(async () => {
  await session?.close();
  rmSync(folder, { recursive: true, force: true });
});

/** The first 5 images of BCCD's training split (4 to train on, 1 to validate) and a COCO file for them. */
function writeSubset(): string[] {
  const { json, images } = writeBccdSubset(folder, 5);
  return [json, ...images];
}

/** Chooses the files and fills the form for the run under test. */
async function fillForm(page: Page, files: string[]): Promise<void> {
  await page.fill('#train-validation', '0.2');
  await page.setInputFiles('#train-files', files);
  await page.waitForSelector('#train-summary[data-images="5"]');
  expect(await page.textContent('#train-summary')).toContain('5 images (4 training, 1 validation)');
  await page.fill('#train-size', String(SIZE));
  await page.fill('#train-steps', String(STEPS));
  await page.fill('#train-batch', '2');
  await page.fill('#train-lr', '0.004');
}

/** Waits until the run holds after a pause and checks that no step comes meanwhile; returns the step it holds after. */
async function holdsPaused(page: Page): Promise<number> {
  await page.waitForSelector('#train-status[data-state="paused"]', { timeout: 60_000 });
  const step = Number(await page.getAttribute('#train-status', 'data-step'));
  await page.waitForTimeout(1000);
  expect(Number(await page.getAttribute('#train-status', 'data-step'))).toBe(step);
  expect(await page.getAttribute('#train-status', 'data-state')).toBe('paused');
  return step;
}

/** Waits for the run to end and saves its weights file; returns the file's bytes and the chart's numbers. */
async function finish(page: Page, name: string): Promise<{ weights: Buffer; losses: number[]; maps: number[]; checkpointSeconds: number }> {
  await page.waitForSelector('#train-status[data-state="done"]', { timeout: 120_000 });
  expect(await page.textContent('#train-status')).toMatch(new RegExp(`^done after ${STEPS} steps; validation \\(1 images\\): loss [0-9.]+, mAP [0-9.]+`));
  expect(Number(await page.getAttribute('#train-status', 'data-tensors'))).toBe(0);
  const download = page.waitForEvent('download');
  await page.click('#train-download');
  const file = join(folder, name);
  await (await download).saveAs(file);
  return {
    weights: readFileSync(file),
    losses: JSON.parse((await page.getAttribute('#train-chart', 'data-losses'))!) as number[],
    maps: JSON.parse((await page.getAttribute('#train-chart', 'data-maps'))!) as number[],
    checkpointSeconds: Number(await page.getAttribute('#train-checkpoint', 'data-seconds')),
  };
}

it('resumes a run from its IndexedDB checkpoint in a new tab, with the same step, state and final weights as a run never stopped', async () => {
  const started = performance.now();
  const files = writeSubset();
  const context = await session!.browser.newContext({ viewport: DEMO_VIEWPORT });
  try {
    // The first tab: train until the first epoch's checkpoint, pause, close the tab mid-run.
    const first = await openDemo(context, session!.url, { backend: 'wasm', sample: 'none' });
    expect(await activeBackend(first.page)).toBe('wasm');
    await first.page.waitForSelector('#train-resume-offer[data-checked="true"]', { state: 'attached' });
    expect(await first.page.isHidden('#train-resume-offer')).toBe(true);
    await fillForm(first.page, files);
    // Pause as soon as step 2, the first epoch's last, is reported: the worker holds after that epoch's
    // validation and checkpoint (clicked from the page: a click from the test could come steps later).
    await first.page.evaluate(() => {
      const status = document.querySelector('#train-status') as HTMLElement;
      new MutationObserver((_, observer) => {
        if (status.dataset.step !== '2') return;
        observer.disconnect();
        (document.querySelector('#train-pause') as HTMLButtonElement).click();
      }).observe(status, { attributes: true, attributeFilter: ['data-step'] });
    });
    await first.page.click('#train-start');
    const pausedAt = await holdsPaused(first.page);
    // The stored checkpoint is that of the last finished epoch (2 steps each), and the run is not over.
    const checkpointStep = pausedAt - (pausedAt % 2);
    expect(checkpointStep).toBe(2);
    expect(pausedAt).toBeLessThan(STEPS);
    expect(await first.page.getAttribute('#train-checkpoint', 'data-step')).toBe(String(checkpointStep));
    const savedSha256 = (await first.page.getAttribute('#train-checkpoint', 'data-sha256'))!;
    expect(savedSha256).toMatch(/^[0-9a-f]{64}$/);
    const firstLosses = JSON.parse((await first.page.getAttribute('#train-chart', 'data-losses'))!) as number[];
    expect(first.errors).toEqual([]);
    await first.page.close();

    // A new tab offers the run; Resume continues it from the checkpoint's step with the state that was saved.
    const second = await openDemo(context, session!.url, { backend: 'wasm', sample: 'none' });
    await second.page.waitForSelector('#train-resume-offer:not([hidden])', { timeout: 30_000 });
    expect(await second.page.getAttribute('#train-resume-offer', 'data-step')).toBe(String(checkpointStep));
    expect(await second.page.getAttribute('#train-resume-offer', 'data-sha256')).toBe(savedSha256);
    expect(await second.page.textContent('#train-resume-text')).toContain(
      `tf_efficientdet_lite0 at ${SIZE} px on 4 images (RBC, WBC, Platelets), step ${checkpointStep} of ${STEPS} (epoch ${checkpointStep / 2})`,
    );
    await second.page.click('#train-resume');
    await second.page.waitForSelector(`#train-status[data-resumed-step="${checkpointStep}"]`, { timeout: 60_000 });
    expect(await second.page.getAttribute('#train-status', 'data-resumed-sha256')).toBe(savedSha256);
    expect(await second.page.isHidden('#train-resume-offer')).toBe(true);
    expect(await second.page.inputValue('#train-size')).toBe(String(SIZE));
    expect(await second.page.inputValue('#train-steps')).toBe(String(STEPS));
    const resumed = await finish(second.page, 'resumed.safetensors');
    await second.page.locator('#train').screenshot({ path: artifactPath('resume.png') });
    expect(await second.page.textContent('#train-checkpoint')).toBe('the run is over: its checkpoint was removed from this browser');
    // The chart holds the steps before the checkpoint (as the first tab drew them) and those after; one mAP an epoch.
    expect(resumed.losses).toHaveLength(STEPS);
    expect(resumed.losses.slice(0, checkpointStep)).toEqual(firstLosses.slice(0, checkpointStep));
    expect(resumed.maps).toHaveLength(STEPS / 2);
    expect(resumed.maps.every((map) => map >= 0 && map <= 1)).toBe(true);

    // The same run, never stopped (paused and resumed once), in the same tab: the same losses and weights.
    await fillForm(second.page, files);
    await second.page.click('#train-start');
    await second.page.waitForSelector('#train-status[data-step="1"]', { timeout: 60_000 });
    await second.page.click('#train-pause');
    expect(await second.page.textContent('#train-pause')).toBe('Resume');
    await second.page.waitForSelector('#train-status[data-state="paused"]', { timeout: 60_000 });
    await second.page.click('#train-pause');
    await second.page.waitForSelector('#train-status[data-state="running"]');
    const straight = await finish(second.page, 'uninterrupted.safetensors');
    expect(straight.losses).toEqual(resumed.losses);
    expect(straight.maps).toEqual(resumed.maps);
    expect(straight.weights.equals(resumed.weights)).toBe(true);
    expect(second.errors).toEqual([]);
    await second.page.close();

    // A finished run leaves nothing to resume.
    const third = await openDemo(context, session!.url, { backend: 'wasm', sample: 'none' });
    await third.page.waitForSelector('#train-resume-offer[data-checked="true"]', { state: 'attached', timeout: 30_000 });
    expect(await third.page.isHidden('#train-resume-offer')).toBe(true);
    await third.page.close();
    writeArtifact('resume.json', { pausedAt, checkpointStep, savedSha256, losses: resumed.losses, maps: resumed.maps, checkpointSeconds: straight.checkpointSeconds, seconds: (performance.now() - started) / 1000 });
  } finally {
    await context.close();
  }
}, 300_000);
