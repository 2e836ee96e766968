/** The name of a class id: its label, or `class N` for ids without one. */
export function labelOf(labels: readonly string[], classId: number): string {
  const label = labels[classId];
  return label === undefined || label === '' ? `class ${classId}` : label;
}
