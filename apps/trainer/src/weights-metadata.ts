/**
 * Reads the `__metadata__` strings of a safetensors file's header, without touching the tensors.
 * Returns `undefined` for anything that is not a well-formed header: this is only used to warn about
 * untrained weights, and `loadSafetensors` reports a broken file properly.
 */
export function safetensorsMetadata(bytes: Uint8Array): Record<string, string> | undefined {
  if (bytes.length < 8) return undefined;
  const headerLength = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  if (headerLength > bytes.length - 8) return undefined;
  try {
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength))) as unknown;
    const metadata = (header as { __metadata__?: unknown }).__metadata__;
    return typeof metadata === 'object' && metadata !== null ? (metadata as Record<string, string>) : undefined;
  } catch {
    return undefined;
  }
}

/** Whether a checkpoint says of itself that it is untrained (`trained: "false"` or `synthetic: "true"`). */
export function isMarkedUntrained(metadata: Record<string, string> | undefined): boolean {
  return metadata?.trained === 'false' || metadata?.synthetic === 'true';
}
