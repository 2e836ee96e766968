import type { BackendName } from '@edet/model';

import type { BackendInfo, DetectResult, ModelInfo, WorkerReply, WorkerRequest } from '../protocol.js';

/** An error thrown in the worker, with its class name kept (`StateDictError`, `FileFormatError`, ...). */
export class WorkerError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

// Distributes `Omit` over the union, so each request type keeps its own fields.
type RequestBody<R = WorkerRequest> = R extends WorkerRequest ? Omit<R, 'id'> : never;

/**
 * The page's handle on the inference worker: one promise per request. `terminate()` ends the worker (and
 * its backend and model); every pending request then rejects.
 */
export class DetectorClient {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: (reply: WorkerReply) => void; reject: (error: Error) => void }>();
  private nextId = 1;

  constructor() {
    // This exact form (a `new URL` literal inside `new Worker`) is what Vite bundles as a worker.
    this.worker = new Worker(new URL('../worker/worker.ts', import.meta.url), { type: 'module', name: 'edet-inference' });
    this.worker.onmessage = (event: MessageEvent<WorkerReply>) => {
      const reply = event.data;
      const waiter = this.pending.get(reply.id);
      if (waiter === undefined) return;
      this.pending.delete(reply.id);
      if (reply.type === 'error') waiter.reject(new WorkerError(reply.name, reply.message));
      else waiter.resolve(reply);
    };
    this.worker.onerror = (event) => this.failAll(new Error(`the inference worker failed: ${event.message || 'script error'}`));
  }

  /**
   * Starts a backend (the first of `preferences` that works) and loads the bundled model, or the preset
   * `model` (a published name) untrained. `bundled` is the bundled model's name when it is deployed.
   * `threads` (wasm) asks for that many threads instead of one per core.
   */
  async init(
    preferences: BackendName[],
    wasmPaths: string,
    manifestUrl: string,
    model?: string,
    threads?: number,
  ): Promise<{ backend: BackendInfo; model: ModelInfo; notice?: string; bundled?: string }> {
    const optional = { ...(model === undefined ? {} : { model }), ...(threads === undefined ? {} : { threads }) };
    const reply = await this.request({ type: 'init', preferences, wasmPaths, manifestUrl, ...optional }, []);
    if (reply.type !== 'ready') throw new Error(`unexpected reply ${reply.type}`);
    return { backend: reply.backend, model: reply.model, notice: reply.notice, bundled: reply.bundled };
  }

  /** Replaces the model: the preset `model` untrained, or (none) the bundled model. On failure the model in use stays. */
  async chooseModel(model: string | undefined): Promise<{ model: ModelInfo; notice?: string }> {
    const reply = await this.request({ type: 'choose-model', ...(model === undefined ? {} : { model }) }, []);
    if (reply.type !== 'model-chosen') throw new Error(`unexpected reply ${reply.type}`);
    return { model: reply.model, notice: reply.notice };
  }

  /** Loads safetensors weights into the model; on failure the model keeps its weights. `bytes` is copied. */
  async loadWeights(bytes: ArrayBuffer, name: string): Promise<ModelInfo> {
    const copy = bytes.slice(0);
    const reply = await this.request({ type: 'load-weights', bytes: copy, name }, [copy]);
    if (reply.type !== 'weights-loaded') throw new Error(`unexpected reply ${reply.type}`);
    return reply.model;
  }

  /** Runs the network on an image. The bitmap is transferred (unusable here afterwards). */
  async detect(image: ImageBitmap): Promise<DetectResult> {
    const reply = await this.request({ type: 'detect', image }, [image]);
    if (reply.type !== 'detected') throw new Error(`unexpected reply ${reply.type}`);
    return reply.result;
  }

  terminate(): void {
    this.worker.terminate();
    this.failAll(new Error('the inference worker was stopped'));
  }

  private request(body: RequestBody, transfer: Transferable[]): Promise<WorkerReply> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...body, id } as WorkerRequest, transfer);
    });
  }

  private failAll(error: Error): void {
    for (const waiter of this.pending.values()) waiter.reject(error);
    this.pending.clear();
  }
}
