/**
 * Differential checks of one kernel call: the same inputs run through `tf.engine().runKernel` on the wasm
 * backend (with edet's kernels registered) and on the cpu backend (the reference), compared for outcome
 * (result or error), dtype, shape and every value (NaN where the reference has NaN, the same infinities,
 * finite values within a tolerance), and for leaks on wasm: tensors and backend data ids before and after,
 * also when the call throws.
 */
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';

/** One input as plain data, so it can be built on either backend. */
export interface FuzzInput {
  values: number[];
  shape: number[];
  dtype: 'float32' | 'int32' | 'bool';
}

/** A kernel call; `inputs` is a list for `Concat` (the engine passes it its inputs as an array). */
export interface FuzzCase {
  label: string;
  kernel: string;
  inputs: Record<string, FuzzInput> | FuzzInput[];
  attrs: Record<string, unknown>;
}

/** What a call gave: its outputs as plain data, or the error it threw. */
export type Outcome = { outputs: FuzzInput[] } | { error: Error };

/** Runs `c` on the active backend; the tensors made are disposed before this returns. */
export function runCase(c: FuzzCase): Outcome {
  const made: tf.Tensor[] = [];
  const build = (input: FuzzInput): tf.Tensor => {
    const t = tf.tensor(input.values, input.shape, input.dtype);
    made.push(t);
    return t;
  };
  try {
    const inputs = Array.isArray(c.inputs)
      ? c.inputs.map(build)
      : Object.fromEntries(Object.entries(c.inputs).map(([name, input]) => [name, build(input)]));
    const result = tf.engine().runKernel(c.kernel, inputs as unknown as tf.NamedTensorMap, c.attrs as tf.NamedAttrMap);
    const outputs = Array.isArray(result) ? result : [result as tf.Tensor];
    made.push(...outputs);
    return {
      outputs: outputs.map((t) => ({ values: Array.from(t.dataSync() as ArrayLike<number>), shape: t.shape, dtype: t.dtype as FuzzInput['dtype'] })),
    };
  } catch (error) {
    return { error: error as Error };
  } finally {
    tf.dispose(made);
  }
}

/** The wasm backend's count of data buffers (its heap allocations that belong to tensors). */
export function wasmDataIds(): number {
  return (tf.findBackend('wasm') as unknown as { numDataIds(): number }).numDataIds();
}

/** Runs `c` on wasm; returns the outcome and what leaked (tensors, data ids), which should be nothing. */
export function runOnWasm(c: FuzzCase): { outcome: Outcome; leakedTensors: number; leakedDataIds: number } {
  const tensors = tf.memory().numTensors;
  const dataIds = wasmDataIds();
  const outcome = runCase(c);
  return { outcome, leakedTensors: tf.memory().numTensors - tensors, leakedDataIds: wasmDataIds() - dataIds };
}

/** `|got - want| <= tolerance * max(1, |want|)`, with NaN matching NaN only and infinities matching exactly. */
export function sameValue(got: number, want: number, tolerance: number): boolean {
  if (Number.isNaN(want) || Number.isNaN(got)) return Number.isNaN(want) && Number.isNaN(got);
  if (!Number.isFinite(want) || !Number.isFinite(got)) return got === want;
  return Math.abs(got - want) <= tolerance * Math.max(1, Math.abs(want));
}

/** The first difference between two outcomes, or null when they agree. */
export function difference(got: Outcome, want: Outcome, tolerance: number): string | null {
  if ('error' in want) return 'error' in got ? null : `reference threw (${want.error.message}), wasm did not`;
  if ('error' in got) return `wasm threw ${got.error.name}: ${got.error.message}`;
  if (got.outputs.length !== want.outputs.length) return `${got.outputs.length} outputs, want ${want.outputs.length}`;
  for (let k = 0; k < want.outputs.length; k++) {
    const [g, w] = [got.outputs[k], want.outputs[k]];
    if (g.dtype !== w.dtype) return `output ${k}: dtype ${g.dtype}, want ${w.dtype}`;
    if (!tf.util.arraysEqual(g.shape, w.shape)) return `output ${k}: shape [${g.shape}], want [${w.shape}]`;
    for (let i = 0; i < w.values.length; i++) {
      if (!sameValue(g.values[i], w.values[i], tolerance)) return `output ${k}[${i}]: ${g.values[i]}, want ${w.values[i]}`;
    }
  }
  return null;
}

/**
 * Runs every case on wasm and on cpu (the active backend is wasm again afterwards) and returns one line per
 * case that differs or leaks (empty when all agree). `reference` replaces the cpu run for the cases it
 * returns an outcome for.
 */
export async function differentialFailures(
  cases: FuzzCase[],
  tolerance: number,
  reference?: (c: FuzzCase) => Outcome | undefined,
): Promise<string[]> {
  await tf.setBackend('wasm');
  const got = cases.map(runOnWasm);
  await tf.setBackend('cpu');
  let want: Outcome[];
  try {
    want = cases.map((c) => reference?.(c) ?? runCase(c));
  } finally {
    await tf.setBackend('wasm');
  }
  const failures: string[] = [];
  cases.forEach((c, i) => {
    const { outcome, leakedTensors, leakedDataIds } = got[i];
    const diff = difference(outcome, want[i], tolerance);
    if (diff !== null) failures.push(`${c.label}: ${diff}`);
    if (leakedTensors !== 0 || leakedDataIds !== 0) failures.push(`${c.label}: leaked ${leakedTensors} tensors, ${leakedDataIds} data ids`);
  });
  return failures;
}
