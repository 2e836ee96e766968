import { describe, expect, it } from 'vitest';

import { describeRatio, speedRatio } from '../src/bench/ratio.js';
import { summarizeTimings } from '../src/bench/statistics.js';
import { oneLineMessage } from '../src/errors.js';
import { integerParser, parseFraction, parseInputSize, parseLimit, parseTrainSize } from '../src/options.js';
import { OutputNames } from '../src/output-names.js';

describe('option parsers', () => {
  it('accept fractions in [0, 1] only', () => {
    expect(parseFraction('0.35')).toBe(0.35);
    expect(parseFraction('1')).toBe(1);
    for (const bad of ['', 'abc', '-0.1', '1.5', 'NaN', 'Infinity']) expect(() => parseFraction(bad)).toThrow('expected a number from 0 to 1.');
  });

  it('accept decimal integers from the minimum up', () => {
    const positive = integerParser(1);
    expect(positive('12')).toBe(12);
    for (const bad of ['0', '-3', '2.5', '1e3', 'ten', '']) expect(() => positive(bad)).toThrow('expected an integer >= 1.');
    expect(integerParser(0)('0')).toBe(0);
  });

  it('accept a limit or "all"', () => {
    expect(parseLimit('7')).toBe(7);
    expect(parseLimit('all')).toBe(Infinity);
    expect(() => parseLimit('0')).toThrow('expected an integer >= 1 or "all".');
  });

  it('accept any positive input side, or HEIGHTxWIDTH', () => {
    expect(parseInputSize('640')).toBe(640);
    expect(parseInputSize('500')).toBe(500);
    expect(parseInputSize('384x640')).toEqual([384, 640]);
    expect(parseInputSize('300X200')).toEqual([300, 200]);
    expect(parseInputSize('320x320')).toBe(320);
    for (const bad of ['-128', '0', '384x', 'x640', '384x0', '1.5', '384x640x3', '', 'big']) {
      expect(() => parseInputSize(bad), bad).toThrow('expected a positive side (512) or HEIGHTxWIDTH (384x640).');
    }
  });

  it('accept training sizes of any positive side (Lite0 trains at its own 320)', () => {
    expect(parseTrainSize('256')).toBe(256);
    expect(parseTrainSize('320')).toBe(320);
    expect(parseTrainSize('384x600')).toEqual([384, 600]);
    expect(() => parseTrainSize('0')).toThrow('expected a positive side');
    expect(() => parseTrainSize('-128')).toThrow('expected a positive side');
  });
});

describe('OutputNames', () => {
  it('keeps the file name and extension, and numbers clashes', () => {
    const names = new OutputNames('/tmp/out');
    expect(names.next('a/photo.jpg', 'jpeg')).toEqual({ path: '/tmp/out/photo.jpg', format: 'jpeg' });
    expect(names.next('b/photo.jpg', 'jpeg')).toEqual({ path: '/tmp/out/photo-2.jpg', format: 'jpeg' });
    expect(names.next('c/Photo.JPG', 'jpeg')).toEqual({ path: '/tmp/out/Photo-3.JPG', format: 'jpeg' });
    expect(names.next('scan.PNG', 'png')).toEqual({ path: '/tmp/out/scan.PNG', format: 'png' });
  });

  it('adds an extension for the real format when the name has none', () => {
    const names = new OutputNames('/tmp/out');
    expect(names.next('frames/0001', 'png')).toEqual({ path: '/tmp/out/0001.png', format: 'png' });
    expect(names.next('camera.raw', 'jpeg')).toEqual({ path: '/tmp/out/camera.raw.jpg', format: 'jpeg' });
  });
});

describe('benchmark arithmetic', () => {
  it('summarizes timings', () => {
    expect(summarizeTimings([5, 1, 3])).toEqual({ medianMs: 3, minMs: 1, maxMs: 5, meanMs: 3 });
    expect(summarizeTimings([4, 1, 2, 10]).medianMs).toBe(3);
    expect(() => summarizeTimings([])).toThrow(RangeError);
  });

  it('states the speed ratio by median', () => {
    const ratio = speedRatio({ backend: 'cpu', medianMs: 3120, minMs: 0, maxMs: 0, meanMs: 0 }, { backend: 'wasm', medianMs: 100, minMs: 0, maxMs: 0, meanMs: 0 });
    expect(ratio).toEqual({ faster: 'wasm', slower: 'cpu', factor: 31.2 });
    expect(describeRatio(ratio)).toBe('wasm is 31.2x faster than cpu');
  });
});

describe('oneLineMessage', () => {
  it('joins lines and caps the length', () => {
    expect(oneLineMessage(new Error('no backend:\n  wasm: failed\n  cpu: failed\n'))).toBe('no backend:; wasm: failed; cpu: failed');
    expect(oneLineMessage('plain')).toBe('plain');
    const long = oneLineMessage(new Error('x'.repeat(5000)));
    expect(long.length).toBe(600);
    expect(long.endsWith('…')).toBe(true);
  });
});
