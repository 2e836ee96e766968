/**
 * The `__metadata__` strings of a safetensors header, read without touching the tensors (the same reading
 * as `edet detect`'s). `undefined` for anything malformed: `loadSafetensors` reports broken files itself.
 */
export function safetensorsMetadata(bytes: Uint8Array): Record<string, string> | undefined {
  if (bytes.length < 8) return undefined;
  const headerLength = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  if (headerLength > bytes.length - 8) return undefined;
  try {
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength))) as { __metadata__?: unknown };
    const metadata = header.__metadata__;
    return typeof metadata === 'object' && metadata !== null ? (metadata as Record<string, string>) : undefined;
  } catch {
    return undefined;
  }
}

/** Whether a checkpoint says of itself that it is untrained (`trained: "false"` or `synthetic: "true"`). */
export function isMarkedUntrained(bytes: Uint8Array): boolean {
  const metadata = safetensorsMetadata(bytes);
  return metadata?.trained === 'false' || metadata?.synthetic === 'true';
}
