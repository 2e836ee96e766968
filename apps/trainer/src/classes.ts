import { COCO90_LABELS, classLabel } from '@edet/model';
import { FileFormatError } from '@edet/tensor';

import { readInputFile } from './files.js';

/** The built-in class list names accepted by `--classes`. */
export const BUILTIN_CLASS_LISTS: Record<string, readonly string[]> = { coco90: COCO90_LABELS };

/**
 * Parses a class-names file. Two forms:
 * - a JSON array of strings, `["RBC", "WBC", "Platelets"]`;
 * - plain text, one name per line. Blank lines inside the list are kept as unnamed ids (`''`), as the
 *   unused COCO ids are, so that line n is always class id n-1; blank lines at the end are ignored.
 * The list's length is the model's number of classes.
 * @param source the file name, used in error messages
 * @throws FileFormatError if the text is neither form or names no class
 */
export function parseClassNames(text: string, source: string): string[] {
  const body = text.replace(/^\uFEFF/, '');
  if (body.trimStart().startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch (error) {
      throw new FileFormatError(source, `invalid JSON (${error instanceof Error ? error.message : String(error)})`);
    }
    if (!Array.isArray(parsed) || !parsed.every((name) => typeof name === 'string')) {
      throw new FileFormatError(source, 'expected a JSON array of class-name strings');
    }
    if (parsed.length === 0) throw new FileFormatError(source, 'the class list is empty');
    return parsed;
  }
  const lines = body.split(/\r?\n/).map((line) => line.trim());
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  if (lines.length === 0) throw new FileFormatError(source, 'the class list is empty');
  return lines;
}

/** The class names for a `--classes` value: a built-in list name (`coco90`) or a file. */
export async function loadClassNames(spec: string): Promise<string[]> {
  const builtin = BUILTIN_CLASS_LISTS[spec];
  if (builtin !== undefined) return [...builtin];
  const bytes = await readInputFile(spec);
  return parseClassNames(new TextDecoder('utf-8').decode(bytes), spec);
}

/** A label lookup that names unnamed or out-of-range ids `class <id>` rather than printing nothing. */
export function labeller(names: readonly string[]): (classId: number) => string {
  return (classId) => classLabel(names, classId);
}
