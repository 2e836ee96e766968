/**
 * The Train section's storage in IndexedDB (database `edet-train`), used by the training worker to save and
 * by the page to find an unfinished run. One run is kept at a time: starting a run replaces the one stored.
 *
 * - store `run`, key `current`: what the run trains on (`StoredRun`: settings, samples, the image Blobs),
 *   written once when the run starts;
 * - store `checkpoint`, keys `current` (`StoredCheckpoint`: trainer state bytes, progress, chart history) and
 *   `summary` (`CheckpointSummary`, small, what the page's resume offer shows), written together at the end
 *   of each epoch.
 *
 * Each write is one transaction, so a tab that dies mid-write leaves the previous checkpoint whole.
 */
import type { Sample } from '@edet/data';
import type { CheckpointJson, TrainProgress } from '@edet/train';

import type { StepReport, TrainSettings, ValidationReport } from './train-protocol.js';

const DATABASE = 'edet-train';
const VERSION = 1;
const RUN = 'run';
const CHECKPOINT = 'checkpoint';
const CURRENT = 'current';
const SUMMARY = 'summary';

/** What a run trains on: enough to resume it with nothing uploaded again. */
export interface StoredRun {
  /** Tells this run's checkpoints from another's. */
  id: string;
  /** ISO time. */
  startedAt: string;
  settings: TrainSettings;
  samples: Sample[];
  validation: Sample[];
  /** The images by `Sample.file` (IndexedDB stores Blobs as they are). */
  images: Record<string, Blob>;
}

/** Where a run stood at the end of an epoch, and how it got there. */
export interface StoredCheckpoint {
  runId: string;
  /** The trainer-checkpoint fields `restoreTrainerState` and the epoch loop need (`@edet/train`'s JSON). */
  json: Pick<CheckpointJson<TrainSettings>, 'savedAt' | 'progress' | 'optimizer' | 'ema' | 'bestMap'>;
  /** `trainerStateTensors` (weights, batch-norm statistics, optimizer moments) as safetensors bytes. */
  state: Uint8Array;
  /** SHA-256 of `state`, hex. */
  sha256: string;
  /** Every step report and validation so far: the chart of a resumed run starts from them. */
  steps: StepReport[];
  validations: ValidationReport[];
}

/** The few numbers the resume offer shows. */
export interface CheckpointSummary {
  runId: string;
  savedAt: string;
  progress: TrainProgress;
  sha256: string;
}

/** An unfinished run as the page sees it. */
export interface UnfinishedRun {
  run: StoredRun;
  summary: CheckpointSummary;
}

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function openDatabase(): Promise<IDBDatabase> {
  if (typeof indexedDB === 'undefined') return Promise.reject(new Error('this browser has no IndexedDB'));
  const open = indexedDB.open(DATABASE, VERSION);
  open.onupgradeneeded = () => {
    open.result.createObjectStore(RUN);
    open.result.createObjectStore(CHECKPOINT);
  };
  return request(open);
}

/**
 * Runs `work` in one transaction over both stores and resolves once it has committed (`strict`: written to
 * disk), with what `work` returned; rejects (nothing written) when any of its requests failed.
 */
async function transaction<T>(mode: IDBTransactionMode, work: (run: IDBObjectStore, checkpoint: IDBObjectStore) => Promise<T> | T): Promise<T> {
  const database = await openDatabase();
  try {
    const tx = database.transaction([RUN, CHECKPOINT], mode, { durability: 'strict' });
    const done = new Promise<void>((resolve, reject) => {
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error ?? new Error('the IndexedDB transaction was aborted'));
    });
    const result = await work(tx.objectStore(RUN), tx.objectStore(CHECKPOINT));
    await done;
    return result;
  } finally {
    database.close();
  }
}

/** Stores a new run (replacing the stored one and its checkpoint). */
export function saveRunStart(run: StoredRun): Promise<void> {
  return transaction('readwrite', (runs, checkpoints) => {
    checkpoints.clear();
    runs.put(run, CURRENT);
  });
}

/** Stores an epoch's checkpoint of the stored run, replacing the previous one in the same transaction. */
export function saveRunCheckpoint(checkpoint: StoredCheckpoint): Promise<void> {
  const summary: CheckpointSummary = { runId: checkpoint.runId, savedAt: checkpoint.json.savedAt, progress: checkpoint.json.progress, sha256: checkpoint.sha256 };
  return transaction('readwrite', (_, checkpoints) => {
    checkpoints.put(checkpoint, CURRENT);
    checkpoints.put(summary, SUMMARY);
  });
}

/** The stored run and its checkpoint, when both are there and belong together. */
export function loadRun(): Promise<{ run: StoredRun; checkpoint: StoredCheckpoint } | undefined> {
  return transaction('readonly', async (runs, checkpoints) => {
    const [run, checkpoint] = await Promise.all([request<StoredRun | undefined>(runs.get(CURRENT)), request<StoredCheckpoint | undefined>(checkpoints.get(CURRENT))]);
    return run !== undefined && checkpoint?.runId === run.id ? { run, checkpoint } : undefined;
  });
}

/** The stored run with the summary of its checkpoint (not the state bytes), when one is there. */
export function findUnfinishedRun(): Promise<UnfinishedRun | undefined> {
  return transaction('readonly', async (runs, checkpoints) => {
    const [run, summary] = await Promise.all([request<StoredRun | undefined>(runs.get(CURRENT)), request<CheckpointSummary | undefined>(checkpoints.get(SUMMARY))]);
    return run !== undefined && summary?.runId === run.id ? { run, summary } : undefined;
  });
}

/** Forgets the stored run and its checkpoint. */
export function clearRun(): Promise<void> {
  return transaction('readwrite', (runs, checkpoints) => {
    runs.clear();
    checkpoints.clear();
  });
}
