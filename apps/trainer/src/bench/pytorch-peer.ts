import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';

import { errorText } from '@edet/tensor';

import type { AbsentPeer } from './onnx-peer.js';
import { PYTORCH_PEER_SCRIPT } from '../peer-scripts.js';

/** What the PyTorch peer times: zylo117's model in one mode, at one size and batch. */
export interface PytorchPeerOptions {
  /** `infer`: an eval-mode forward pass of the batch; `train`: one training step (see the peer script). */
  mode: 'infer' | 'train';
  /** EfficientDet variant (zylo117's `compound_coef`). */
  coef: number;
  height: number;
  width: number;
  batch: number;
  numClasses: number;
  /** PyTorch's intra-op threads. */
  threads: number;
  /** Milliseconds of busy waiting in the peer before each timed round (see `BUSY_LEAD_IN_MS`). */
  leadInMs: number;
  /** The Python that runs the peer; default `python3`. */
  python?: string;
  /** The peer script; default edet's `peers/zylo117_peer.py` (tests pass their own). */
  script?: string;
  /** How long importing PyTorch, building the model and the untimed first round may take; default 10 minutes. */
  startTimeoutMs?: number;
}

/** A started PyTorch peer: times one round, and ends its process. */
export interface PytorchPeer {
  /** `zylo117 (PyTorch 1.13.1)`: what reports call it. */
  name: string;
  /** PyTorch's version as the peer reports it. */
  version: string;
  /** The intra-op threads PyTorch says it runs on. */
  threads: number;
  /** Modules the checkout imports only to draw or post-process that were missing and stood in for. */
  stubbed: string[];
  /** Milliseconds of one round, as the peer measures it (the pipe's latency is not counted). */
  time(): Promise<number>;
  close(): Promise<void>;
}

/** The lines the peer writes, one at a time, and the end of the process as an error. */
class PeerLines {
  private readonly lines: string[] = [];
  private waiting: { resolve(line: string): void; reject(error: Error): void } | undefined;
  private ended: Error | undefined;
  private stderrTail = '';

  constructor(child: ChildProcessWithoutNullStreams) {
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (this.waiting === undefined) this.lines.push(line);
      else this.settle((waiter) => waiter.resolve(line));
    });
    child.stderr.on('data', (chunk: Buffer) => {
      this.stderrTail = (this.stderrTail + chunk.toString()).slice(-2000);
    });
    child.on('error', (error) => this.end(error));
    // A write to a peer that has died fails on the pipe; the close below says why it died.
    child.stdin.on('error', () => {});
    child.on('close', (code, signal) => {
      const lastLine = this.stderrTail.trim().split('\n').at(-1);
      this.end(new Error(`the PyTorch peer exited (${signal ?? `status ${code}`})${lastLine ? `: ${lastLine}` : ''}`));
    });
  }

  /** The next line, or a rejection once the process has ended (or after `timeoutMs`). */
  next(timeoutMs?: number): Promise<string> {
    const line = this.lines.shift();
    if (line !== undefined) return Promise.resolve(line);
    if (this.ended !== undefined) return Promise.reject(this.ended);
    return new Promise((resolveLine, reject) => {
      const timer = timeoutMs === undefined ? undefined : setTimeout(() => this.settle((waiter) => waiter.reject(new Error(`no answer in ${timeoutMs / 1000} s`))), timeoutMs);
      this.waiting = {
        resolve: (value) => (clearTimeout(timer), resolveLine(value)),
        reject: (error) => (clearTimeout(timer), reject(error)),
      };
    });
  }

  private settle(action: (waiter: NonNullable<PeerLines['waiting']>) => void): void {
    const waiter = this.waiting;
    this.waiting = undefined;
    if (waiter !== undefined) action(waiter);
  }

  private end(error: Error): void {
    this.ended ??= error;
    // Lines already written stay readable; a waiter has none coming.
    this.settle((waiter) => waiter.reject(this.ended as Error));
  }
}

/** The peer's answer to a request: the payload after `expected`, or its `error` line as an Error. */
function answer(line: string, expected: 'ready' | 'ms'): string {
  if (line.startsWith(`${expected} `)) return line.slice(expected.length + 1);
  if (line.startsWith('error ')) throw new Error(line.slice('error '.length));
  throw new Error(`unexpected line from the PyTorch peer: ${line.slice(0, 200)}`);
}

/**
 * Starts zylo117's model under PyTorch as a benchmark peer: `python3 peers/zylo117_peer.py` with `checkout`
 * (a checkout of zylo117/Yet-Another-EfficientDet-Pytorch), which builds the model, runs one untimed round
 * and then times a round whenever `time()` asks. Never throws: without the flag, without a checkout, without
 * Python or PyTorch, or when the model fails to build or run, it says why and the benchmark goes on
 * without the peer.
 */
export async function openPytorchPeer(checkout: string | undefined, options: PytorchPeerOptions): Promise<PytorchPeer | AbsentPeer> {
  if (checkout === undefined) return { absent: 'no --pytorch checkout given' };
  if (!existsSync(join(checkout, 'backbone.py')) || !existsSync(join(checkout, 'efficientdet', 'loss.py'))) {
    return { absent: `--pytorch ${checkout}: not a checkout of zylo117/Yet-Another-EfficientDet-Pytorch (no backbone.py and efficientdet/loss.py there)` };
  }
  const python = options.python ?? 'python3';
  const args = [
    ...[options.script ?? PYTORCH_PEER_SCRIPT, '--zylo117', resolve(checkout), '--mode', options.mode, '--coef', String(options.coef)],
    ...['--height', String(options.height), '--width', String(options.width), '--batch', String(options.batch)],
    ...['--threads', String(options.threads), '--classes', String(options.numClasses), '--lead-in-ms', String(options.leadInMs)],
  ];
  // OMP_NUM_THREADS as well as torch.set_num_threads: PyTorch's OpenMP pool otherwise starts one thread per core.
  const child = spawn(python, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, OMP_NUM_THREADS: String(options.threads) } });
  const lines = new PeerLines(child);
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((done) => child.once('close', done));
    child.stdin.end('quit\n');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  let ready: { torch?: unknown; threads?: unknown; stubbed?: unknown };
  try {
    ready = JSON.parse(answer(await lines.next(options.startTimeoutMs ?? 600_000), 'ready'));
  } catch (error) {
    child.kill('SIGKILL');
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? `${python} not found` : errorText(error);
    return { absent: `the PyTorch peer did not start: ${reason}` };
  }
  const version = String(ready.torch ?? 'unknown');
  return {
    name: `zylo117 (PyTorch ${version})`,
    version,
    threads: Number(ready.threads ?? options.threads),
    stubbed: Array.isArray(ready.stubbed) ? ready.stubbed.map(String) : [],
    async time() {
      child.stdin.write('time\n');
      const elapsed = Number(answer(await lines.next(), 'ms'));
      if (!Number.isFinite(elapsed)) throw new Error('the PyTorch peer answered a time that is not a number');
      return elapsed;
    },
    close: stop,
  };
}
