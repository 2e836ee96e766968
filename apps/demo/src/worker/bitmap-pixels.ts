import type { RgbImage } from '@edet/model';

/**
 * The RGBA pixels of a bitmap, as `model.detect` takes them. The bitmap is drawn 1:1 on a CPU-backed
 * canvas (`willReadFrequently`), so the bytes are the decoder's own, and then closed.
 */
export function bitmapPixels(bitmap: ImageBitmap): RgbImage {
  const { width, height } = bitmap;
  try {
    const canvas = new OffscreenCanvas(width, height);
    const context = canvas.getContext('2d', { willReadFrequently: true });
    if (context === null) throw new Error('no 2D canvas context in this worker');
    context.drawImage(bitmap, 0, 0);
    return { data: context.getImageData(0, 0, width, height).data, width, height, channels: 4 };
  } finally {
    bitmap.close();
  }
}
