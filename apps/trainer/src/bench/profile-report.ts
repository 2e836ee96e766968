import type { ForwardProfile } from './profile.js';

/**
 * A profile as the report's table, one line per class, then the total, the wall clock of the same passes and
 * the names of the kernels in "other":
 * ```
 *   1x1 convolutions                      101.2 ms  40.1%   81 kernels
 * ```
 */
export function formatProfile(profile: ForwardProfile): string[] {
  const width = Math.max(...profile.classes.map((share) => share.label.length));
  const row = (label: string, ms: number, rest: string) => `  ${label.padEnd(width)} ${ms.toFixed(2).padStart(9)} ms ${rest}`;
  const lines = [`profile: medians of ${profile.runs} pass${profile.runs === 1 ? '' : 'es'} under tf.profile, by class of kernel`];
  for (const share of profile.classes) {
    const kernels = share.kind === 'readBack' ? '' : `  ${String(share.kernels).padStart(4)} kernel${share.kernels === 1 ? '' : 's'}`;
    lines.push(row(share.label, share.ms, `${share.percent.toFixed(1).padStart(5)}%${kernels}`));
  }
  lines.push(row('total', profile.totalMs, `100.0%  ${String(profile.kernels).padStart(4)} kernels`));
  lines.push(row('wall clock of the same passes', profile.wallMs, `(outside kernels: ${profile.outsideKernelsMs.toFixed(2)} ms of op dispatch and bookkeeping)`));
  const other = profile.classes.find((share) => share.kind === 'other');
  if (other !== undefined && other.kernelNames.length > 0) lines.push(`  other: ${other.kernelNames.join(', ')}`);
  if (profile.scopes.count > 0) {
    lines.push(`  not counted: ${profile.scopes.count} custom-gradient scope records (${profile.scopes.names.join(', ')}); the kernels they ran are counted`);
  }
  return lines;
}
