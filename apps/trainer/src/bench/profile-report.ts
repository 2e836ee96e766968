import type { OnnxProfile } from './onnx-profile.js';
import type { ClassShare, ForwardProfile } from './profile.js';

/**
 * A profile as the report's table, one line per class, then the total, the wall clock of the same passes and
 * the names of the kernels in "other":
 * ```
 *   1x1 convolutions                      101.2 ms  40.1%   81 kernels
 * ```
 */
export function formatProfile(profile: ForwardProfile): string[] {
  const table = classTable(profile.classes, 'kernel');
  const lines = [`profile: medians of ${profile.runs} pass${profile.runs === 1 ? '' : 'es'} under tf.profile, by class of kernel`];
  lines.push(...table.classRows);
  lines.push(table.row('total', profile.totalMs, `100.0%  ${String(profile.kernels).padStart(4)} kernels`));
  lines.push(table.row('wall clock of the same passes', profile.wallMs, `(outside kernels: ${profile.outsideKernelsMs.toFixed(2)} ms of op dispatch and bookkeeping)`));
  const other = profile.classes.find((share) => share.kind === 'other');
  if (other !== undefined && other.kernelNames.length > 0) lines.push(`  other: ${other.kernelNames.join(', ')}`);
  if (profile.scopes.count > 0) {
    lines.push(`  not counted: ${profile.scopes.count} custom-gradient scope records (${profile.scopes.names.join(', ')}); the kernels they ran are counted`);
  }
  return lines;
}

/**
 * The onnxruntime peer's profile in the same table, by class of operator, then the operators each class
 * holds:
 * ```
 *   1x1 convolutions                       20.1 ms  14.2%   93 nodes
 *   operators: 1x1 convolutions Conv; activations (swish, sigmoid) Mul, Sigmoid; ...
 * ```
 */
export function formatOnnxProfile(profile: OnnxProfile): string[] {
  const table = classTable(profile.classes, 'node');
  const runs = `${profile.runs} run${profile.runs === 1 ? '' : 's'}`;
  const lines = [`onnxruntime profile: medians of ${runs} under onnxruntime's profiler, by class of operator (node times; the profiler's own work makes these runs slower than the timed ones)`];
  lines.push(...table.classRows);
  lines.push(table.row('total', profile.totalMs, `100.0%  ${String(profile.nodes).padStart(4)} nodes`));
  lines.push(table.row('wall clock of the same runs', profile.wallMs, `(outside nodes: ${profile.outsideNodesMs.toFixed(2)} ms, mostly the profiler's)`));
  lines.push(`  operators: ${profile.classes.map((share) => `${share.label} ${share.kernelNames.join(', ')}`).join('; ')}`);
  return lines;
}

/** The rows of `classes` (`unit`: what `kernels` counts), and the row formatter for the lines after them. */
function classTable(classes: readonly ClassShare[], unit: string) {
  const width = Math.max(...classes.map((share) => share.label.length));
  const row = (label: string, ms: number, rest: string) => `  ${label.padEnd(width)} ${ms.toFixed(2).padStart(9)} ms ${rest}`;
  const classRows = classes.map((share) => {
    const count = share.kind === 'readBack' ? '' : `  ${String(share.kernels).padStart(4)} ${unit}${share.kernels === 1 ? '' : 's'}`;
    return row(share.label, share.ms, `${share.percent.toFixed(1).padStart(5)}%${count}`);
  });
  return { row, classRows };
}
