/**
 * The wasm thread count the URL asks for (`?threads=4`; `?threads=1` forces one thread), or `undefined` for
 * none or anything that is not a whole number from 1 up (the worker then takes one thread per core).
 */
export function requestedThreads(search: string): number | undefined {
  const text = new URLSearchParams(search).get('threads');
  if (text === null || !/^[1-9]\d*$/.test(text)) return undefined;
  return Number(text);
}
