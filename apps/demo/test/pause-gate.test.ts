import { expect, it } from 'vitest';

import { PauseGate } from '../src/train/pause-gate.js';

/** Whether `promise` has settled after the pending microtasks and one macrotask. */
async function settled(promise: Promise<void>): Promise<boolean> {
  let done = false;
  void promise.then(() => (done = true));
  await new Promise((resolve) => setTimeout(resolve, 0));
  return done;
}

it('lets a running run through, holds a paused one until resume, and releases every waiter once', async () => {
  const gate = new PauseGate();
  expect(gate.paused).toBe(false);
  expect(await settled(gate.wait())).toBe(true);

  gate.pause();
  gate.pause(); // a second pause changes nothing
  expect(gate.paused).toBe(true);
  const first = gate.wait();
  const second = gate.wait();
  expect(await settled(first)).toBe(false);
  expect(await settled(second)).toBe(false);

  gate.resume();
  expect(gate.paused).toBe(false);
  expect(await settled(first)).toBe(true);
  expect(await settled(second)).toBe(true);
  expect(await settled(gate.wait())).toBe(true);
  gate.resume(); // resuming a running gate changes nothing
  expect(gate.paused).toBe(false);
});
