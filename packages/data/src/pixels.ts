import type { RgbImage } from '@edet/model';

// Conversions between canvas pixels (RGBA, always 4 bytes) and the model's RgbImage (RGB).

/** Drops the alpha byte of every pixel of interleaved RGBA data. */
export function rgbaToRgb(rgba: ArrayLike<number>, width: number, height: number): RgbImage {
  const pixels = width * height;
  const data = new Uint8Array(pixels * 3);
  for (let pixel = 0; pixel < pixels; pixel++) {
    data[pixel * 3] = rgba[pixel * 4];
    data[pixel * 3 + 1] = rgba[pixel * 4 + 1];
    data[pixel * 3 + 2] = rgba[pixel * 4 + 2];
  }
  return { data, width, height, channels: 3 };
}

/** Interleaved RGBA (opaque) from an `RgbImage` with 3 or 4 channels, for drawing onto a canvas. */
export function toRgba(image: RgbImage): Uint8ClampedArray {
  const pixels = image.width * image.height;
  const rgba = new Uint8ClampedArray(pixels * 4);
  const stride = image.channels;
  for (let pixel = 0; pixel < pixels; pixel++) {
    rgba[pixel * 4] = image.data[pixel * stride];
    rgba[pixel * 4 + 1] = image.data[pixel * stride + 1];
    rgba[pixel * 4 + 2] = image.data[pixel * stride + 2];
    rgba[pixel * 4 + 3] = 255;
  }
  return rgba;
}
