/**
 * How deeply a JSON text nests its arrays and objects, found by a scan that uses no recursion (strings are
 * skipped, so brackets inside them do not count). A safetensors header nests three levels (header object,
 * entry object, shape array); checking the depth before `JSON.parse` keeps a hostile header nested a
 * hundred thousand levels deep from reaching code that recurses over it (`JSON.stringify` in a message).
 *
 * @param text any text; an unterminated string ends the scan
 * @param limit the scan stops as soon as the depth exceeds it
 * @returns the greatest depth seen, at most `limit + 1`
 */
export function jsonNestingDepth(text: string, limit: number): number {
  let depth = 0;
  let deepest = 0;
  for (let i = 0; i < text.length; i++) {
    const char = text.charCodeAt(i);
    if (char === 0x22 /* " */) {
      for (i++; i < text.length && text.charCodeAt(i) !== 0x22; i++) {
        if (text.charCodeAt(i) === 0x5c /* \ */) i++; // skip the escaped character
      }
    } else if (char === 0x7b /* { */ || char === 0x5b /* [ */) {
      depth++;
      if (depth > deepest) {
        deepest = depth;
        if (deepest > limit) return deepest;
      }
    } else if (char === 0x7d /* } */ || char === 0x5d /* ] */) {
      depth--;
    }
  }
  return deepest;
}
