/**
 * Whether a checkpoint says of itself, in its safetensors `__metadata__`, that it is not trained
 * (`trained: "false"`, or `synthetic: "true"` as the project's synthetic test checkpoints say). Detections
 * of such weights mean nothing, and the CLI and the demo say so.
 * @param metadata the header's metadata (`parseSafetensors(bytes).header.metadata`); `undefined` counts as trained
 */
export function isMarkedUntrained(metadata: Readonly<Record<string, string>> | undefined): boolean {
  return metadata?.trained === 'false' || metadata?.synthetic === 'true';
}
