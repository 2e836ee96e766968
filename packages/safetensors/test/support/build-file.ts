/** Builds a file from a header text (padded with spaces to a multiple of 8) and raw data bytes. */
export function buildFile(header: string, data: number[] | Uint8Array = []): Uint8Array {
  const json = new TextEncoder().encode(header);
  const length = Math.ceil(json.length / 8) * 8;
  const file = new Uint8Array(8 + length + data.length).fill(0x20, 8, 8 + length);
  new DataView(file.buffer).setUint32(0, length, true);
  file.set(json, 8);
  file.set(data, 8 + length);
  return file;
}
