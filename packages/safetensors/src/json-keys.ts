/**
 * Lists the top-level keys of a JSON object text in the order they are written, duplicates included.
 *
 * `JSON.parse` cannot do this: a JS object lists integer-like keys ("0", "12") before all others, and a
 * repeated key silently keeps its last value. A safetensors header's key order is the file's tensor order,
 * and a repeated tensor name is a corrupt file, so both matter here.
 *
 * @param text a JSON text that `JSON.parse` has already accepted and that holds an object
 */
export function topLevelJsonKeys(text: string): string[] {
  const keys: string[] = [];
  let depth = 0;
  let expectingKey = false;
  for (let i = 0; i < text.length; i++) {
    const char = text.charCodeAt(i);
    if (char === 0x22 /* " */) {
      const start = i;
      for (i++; text.charCodeAt(i) !== 0x22; i++) {
        if (text.charCodeAt(i) === 0x5c /* \ */) i++; // skip the escaped character
      }
      if (depth === 1 && expectingKey) {
        keys.push(JSON.parse(text.slice(start, i + 1)) as string);
        expectingKey = false;
      }
    } else if (char === 0x7b /* { */ || char === 0x5b /* [ */) {
      depth++;
      if (depth === 1) expectingKey = true;
    } else if (char === 0x7d /* } */ || char === 0x5d /* ] */) {
      depth--;
    } else if (char === 0x2c /* , */ && depth === 1) {
      expectingKey = true;
    }
  }
  return keys;
}
