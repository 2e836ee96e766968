// The PyTorch peer of `edet bench`: a fake "python" (a Node script speaking the peer's line protocol) stands
// in for python3 with PyTorch, so the suite never needs Python. The real peer script is run by hand (see
// the trainer README) where PyTorch is installed.
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, afterEach, describe, expect, it } from 'vitest';

import { openPytorchPeer, type PytorchPeerOptions } from '../src/bench/pytorch-peer.js';
import { PYTORCH_PEER_SCRIPT } from '../src/peer-scripts.js';
import { runProgram } from './support/run-program.js';

const folder = mkdtempSync(join(tmpdir(), 'edet-pytorch-peer-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

// A folder with the two files that mark a zylo117 checkout (the fake never reads them).
const checkout = join(folder, 'zylo117');
mkdirSync(join(checkout, 'efficientdet'), { recursive: true });
writeFileSync(join(checkout, 'backbone.py'), '');
writeFileSync(join(checkout, 'efficientdet', 'loss.py'), '');

// The fake python: logs its arguments and every command to FAKE_PEER_LOG, and behaves as FAKE_PEER says:
// `ok` answers each `time` with 2 ms of holding the thread and `ms 3.25`; `no-torch` fails before ready;
// `dies` exits with status 3 on the first `time`.
const python = join(folder, 'python');
writeFileSync(
  python,
  `#!${process.execPath}
const { appendFileSync } = require('node:fs');
const log = (line) => appendFileSync(process.env.FAKE_PEER_LOG, line + '\\n');
const args = process.argv.slice(2);
log('args ' + JSON.stringify(args) + ' OMP_NUM_THREADS=' + process.env.OMP_NUM_THREADS);
const value = (name) => args[args.indexOf(name) + 1];
if (process.env.FAKE_PEER === 'no-torch') {
  process.stderr.write('Traceback (most recent call last):\\nModuleNotFoundError: No module named torch\\n');
  console.log("error ModuleNotFoundError: No module named 'torch'");
  process.exit(1);
}
console.log('ready ' + JSON.stringify({ torch: '0.0-fake', threads: Number(value('--threads')), stubbed: ['cv2'] }));
require('node:readline').createInterface({ input: process.stdin }).on('line', (line) => {
  log('command ' + line);
  if (line === 'quit') process.exit(0);
  if (process.env.FAKE_PEER === 'dies') { process.stderr.write('Killed by the test\\n'); process.exit(3); }
  const start = performance.now();
  while (performance.now() - start < 2);
  console.log('ms 3.25');
});
`,
);
chmodSync(python, 0o755);

const logFile = join(folder, 'peer.log');
const logLines = () => readFileSync(logFile, 'utf8').trim().split('\n');
const withBehaviour = (behaviour: string) => {
  process.env.FAKE_PEER = behaviour;
  process.env.FAKE_PEER_LOG = logFile;
  writeFileSync(logFile, '');
};
afterEach(() => {
  delete process.env.FAKE_PEER;
  delete process.env.FAKE_PEER_LOG;
});

const options: PytorchPeerOptions = { mode: 'infer', coef: 1, height: 640, width: 384, batch: 2, numClasses: 90, threads: 3, leadInMs: 20, python };

describe('openPytorchPeer', () => {
  it('starts the peer script with the request, times rounds on request and ends it with quit', async () => {
    withBehaviour('ok');
    const peer = await openPytorchPeer(checkout, options);
    if ('absent' in peer) throw new Error(peer.absent);
    expect(peer).toMatchObject({ name: 'zylo117 (PyTorch 0.0-fake)', version: '0.0-fake', threads: 3, stubbed: ['cv2'] });
    expect(await peer.time()).toBe(3.25);
    expect(await peer.time()).toBe(3.25);
    await peer.close();
    const [args, ...commands] = logLines();
    expect(args).toBe(
      `args ${JSON.stringify([PYTORCH_PEER_SCRIPT, '--zylo117', checkout, '--mode', 'infer', '--coef', '1', '--height', '640', '--width', '384', '--batch', '2', '--threads', '3', '--classes', '90', '--lead-in-ms', '20'])} OMP_NUM_THREADS=3`,
    );
    expect(commands).toEqual(['command time', 'command time', 'command quit']);
  });

  it('says why the peer is absent instead of failing', async () => {
    withBehaviour('ok');
    expect(await openPytorchPeer(undefined, options)).toEqual({ absent: 'no --pytorch checkout given' });
    expect(await openPytorchPeer(folder, options)).toEqual({
      absent: `--pytorch ${folder}: not a checkout of zylo117/Yet-Another-EfficientDet-Pytorch (no backbone.py and efficientdet/loss.py there)`,
    });
    const noPython = join(folder, 'no-such-python');
    expect(await openPytorchPeer(checkout, { ...options, python: noPython })).toEqual({ absent: `the PyTorch peer did not start: ${noPython} not found` });
    withBehaviour('no-torch');
    expect(await openPytorchPeer(checkout, options)).toEqual({ absent: "the PyTorch peer did not start: ModuleNotFoundError: No module named 'torch'" });
  });

  it('fails a round with the reason when the peer dies', async () => {
    withBehaviour('dies');
    const peer = await openPytorchPeer(checkout, options);
    if ('absent' in peer) throw new Error(peer.absent);
    await expect(peer.time()).rejects.toThrow('the PyTorch peer exited (status 3): Killed by the test');
    // Closing a peer that has ended is quiet.
    await peer.close();
  });
});

describe('edet bench --pytorch', () => {
  it('runs the peer after each training step, with the step on as many threads as edet has workers', async () => {
    withBehaviour('ok');
    const args = ['bench', '--mode', 'train', '--size', '64', '--batch', '1', '--runs', '2', '--warmup', '1', '--pytorch', checkout, '--python', python];
    const json = await runProgram([...args, '--json']);
    expect(json.error).toBeUndefined();
    const report = JSON.parse(json.out);
    expect(report.pytorch).toMatchObject({ version: '0.0-fake', threads: 1, checkout, stubbed: ['cv2'], timesMs: [3.25, 3.25], medianMs: 3.25 });
    expect(report.pytorch.imagesPerSecond).toBeCloseTo(1000 / 3.25, 9);
    expect(report.edetToPytorch).toBeCloseTo(report.medianMs / 3.25, 9);
    expect(report.edetToPytorchByRound).toBeCloseTo((report.timesMs[0] + report.timesMs[1]) / 2 / 3.25, 9);
    const [peerArgs, ...commands] = logLines();
    expect(JSON.parse(peerArgs.slice('args '.length, peerArgs.lastIndexOf(' ')))).toEqual(
      [PYTORCH_PEER_SCRIPT, '--zylo117', checkout, '--mode', 'train', '--coef', '0', '--height', '64', '--width', '64', '--batch', '1', '--threads', '1', '--classes', '90', '--lead-in-ms', '20'],
    );
    // One warm-up round and two timed ones, then quit.
    expect(commands).toEqual(['command time', 'command time', 'command time', 'command quit']);

    withBehaviour('ok');
    const text = await runProgram(args);
    expect(text.error).toBeUndefined();
    expect(text.out).toContain(`interleaved with zylo117 (PyTorch 0.0-fake) from ${checkout} (1 thread, after 20 ms of busy waiting, timed in Python; cv2 stood in for (drawing and post-processing only))`);
    expect(text.out).toMatch(/^PyTorch: median 3\.3 ms \(min 3\.3, max 3\.3\) over the same 2 rounds; 307\.69 images\/s$/m);
    expect(text.out).toMatch(/^edet\/PyTorch: \d+\.\d\d \(median latency; above 1, edet is slower\); median of the rounds' own ratios \d+\.\d\d$/m);
  }, 120_000);

  it('times inference with the batch in one pass, and reports an absent peer with the edet result', async () => {
    withBehaviour('ok');
    const json = await runProgram(['bench', '--backend', 'wasm', '--size', '64', '--batch', '2', '--runs', '1', '--warmup', '0', '--threads', '1', '--pytorch', checkout, '--python', python, '--json']);
    expect(json.error).toBeUndefined();
    const report = JSON.parse(json.out);
    expect(report.edet).toMatchObject({ size: 64, batch: 2 });
    expect(report.pytorch).toMatchObject({ threads: 1, timesMs: [3.25] });
    expect(report.pytorch.imagesPerSecond).toBeCloseTo(2000 / 3.25, 9);
    expect(report.onnxruntime).toBeUndefined();
    expect(logLines()[0]).toContain('"--mode","infer","--coef","0","--height","64","--width","64","--batch","2","--threads","1"');

    withBehaviour('no-torch');
    const absent = await runProgram(['bench', '--backend', 'wasm', '--size', '64', '--runs', '1', '--warmup', '0', '--pytorch', checkout, '--python', python]);
    expect(absent.error).toBeUndefined();
    expect(absent.out).toMatch(/^edet wasm \(\d+ threads?\): median /m);
    expect(absent.out).toContain("PyTorch peer absent: the PyTorch peer did not start: ModuleNotFoundError: No module named 'torch'\n");
  }, 60_000);

  it('refuses --python without --pytorch, and a named model is not one of zylo117s', async () => {
    expect((await runProgram(['bench', '--python', python])).error).toMatchObject({ message: '--python runs the --pytorch peer; give --pytorch too' });
    const named = await runProgram(['bench', '--backend', 'wasm', '--model', 'tf_efficientdet_lite0', '--size', '64', '--runs', '1', '--warmup', '0', '--pytorch', checkout, '--json']);
    expect(named.error).toBeUndefined();
    expect(JSON.parse(named.out).pytorch).toEqual({ absent: "the PyTorch peer runs zylo117's EfficientDet-D0 to D7x (--coef); --model tf_efficientdet_lite0 is not one of them" });
  });
});
