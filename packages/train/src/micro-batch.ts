import { type InputSize, inputShape } from '@edet/model';

/**
 * Images a forward/backward pass can hold on the wasm backend, whose heap is capped at 4 GiB: a D0
 * training pass at 512x512 peaks near 1.15 GiB per image on top of about 0.2 GiB, so 2 images fit with
 * room to spare (3 reach 3.5 GiB, 4 abort). Larger variants get 1 image per pass at their own size. Scales
 * with the pixel count for other sizes (`size`: a square side or `[height, width]`); other backends have no such cap.
 * @throws InvalidArgumentError naming `size` when it is not an input size
 */
export function defaultMicroBatch(backend: string, coef: number, size: InputSize, batch: number): number {
  if (backend !== 'wasm') return batch;
  const [height, width] = inputShape(size, 'size');
  const perPass = coef === 0 ? (2 * 512 * 512) / (height * width) : (512 * 512) / (height * width);
  return Math.max(1, Math.min(batch, Math.floor(perPass)));
}
