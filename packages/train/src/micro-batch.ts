/**
 * Images a forward/backward pass can hold on the wasm backend, whose heap is capped at 4 GiB: a D0
 * training pass at 512x512 peaks near 1.15 GiB per image on top of about 0.2 GiB, so 2 images fit with
 * room to spare (3 reach 3.5 GiB, 4 abort). Larger variants get 1 image per pass at their own size. Scales
 * with the pixel count for other sizes; other backends have no such cap.
 */
export function defaultMicroBatch(backend: string, coef: number, size: number, batch: number): number {
  if (backend !== 'wasm') return batch;
  const perPass = coef === 0 ? (2 * 512 * 512) / (size * size) : (512 * 512) / (size * size);
  return Math.max(1, Math.min(batch, Math.floor(perPass)));
}
