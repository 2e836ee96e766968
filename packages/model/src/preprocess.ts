import * as tf from '@tensorflow/tfjs-core';
import { type BoxScale, resizeScale } from '@edet/anchors';
import { InvalidArgumentError, checkNumberOption } from '@edet/tensor';

import { type InputSize, inputShape } from './input-size.js';
import type { Normalization } from './presets.js';

/** Decoded pixels of one image: interleaved rows, `channels` bytes per pixel (RGB or RGBA). */
export interface RgbImage {
  data: Uint8Array | Uint8ClampedArray;
  width: number;
  height: number;
  channels: 3 | 4;
}

/** ImageNet statistics the official models were trained with. */
export const IMAGENET_MEAN = [0.485, 0.456, 0.406] as const;
export const IMAGENET_STD = [0.229, 0.224, 0.225] as const;

/** How a letterboxed image relates to the original. */
export interface Letterbox {
  /** Original size. */
  width: number;
  height: number;
  /** Size of the resized image inside the square canvas (top-left aligned). */
  resizedWidth: number;
  resizedHeight: number;
}

/**
 * The official aspect-preserving resize into a `size` frame (a square side or `[height, width]`): the side
 * that limits the scale takes the frame's length, the other `int(frame / side * other)` (truncated, with
 * the same float operations as the reference). For a square frame: the long side becomes `size`.
 */
export function letterboxGeometry(width: number, height: number, size: InputSize): Letterbox {
  const [frameHeight, frameWidth] = inputShape(size, 'size');
  if (frameWidth / width < frameHeight / height) {
    return { width, height, resizedWidth: frameWidth, resizedHeight: Math.trunc((frameWidth / width) * height) };
  }
  return { width, height, resizedWidth: Math.trunc((frameHeight / height) * width), resizedHeight: frameHeight };
}

/** Checks an `RgbImage` and names what is wrong with it. */
export function checkImage(image: RgbImage, argument: string): void {
  if (image === null || typeof image !== 'object' || !(image.data instanceof Uint8Array || image.data instanceof Uint8ClampedArray)) {
    throw new InvalidArgumentError(argument, '{ data: Uint8Array, width, height, channels: 3 | 4 }', String(image));
  }
  const { width, height, channels, data } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new InvalidArgumentError(`${argument}.width/height`, 'positive integers', `${width}x${height}`);
  }
  if (channels !== 3 && channels !== 4) throw new InvalidArgumentError(`${argument}.channels`, '3 (RGB) or 4 (RGBA)', String(channels));
  if (data.length !== width * height * channels) {
    throw new InvalidArgumentError(`${argument}.data`, `${width}x${height}x${channels} = ${width * height * channels} bytes`, `${data.length} bytes`);
  }
}

/**
 * Letterboxes one image into the network input, as the official `preprocess` does: RGB 0-255 floats resized
 * bilinearly (half-pixel centres, no antialiasing) to fit `size` (see `letterboxGeometry`), normalised with
 * the ImageNet mean/std (or `(x/255 - 0.5) / 0.5` for `symmetric`, the Lite models), and pasted top-left on
 * a canvas of zeros (the mean colour).
 * @param size a square side or `[height, width]`
 * @param normalization `imagenet` (default, the D family) or `symmetric` (Lite)
 * Returns `[1, height, width, 3]` (NHWC, a new tensor the caller disposes) and the geometry to map boxes back.
 */
export function letterboxImage(
  image: RgbImage,
  size: InputSize,
  normalization: Normalization = 'imagenet',
): { input: tf.Tensor4D; letterbox: Letterbox } {
  checkImage(image, 'image');
  const [frameHeight, frameWidth] = inputShape(size, 'size');
  const letterbox = letterboxGeometry(image.width, image.height, size);
  const input = tf.tidy(() => {
    const rgb = tf.tensor3d(rgbFloats(image), [image.height, image.width, 3], 'float32');
    // Resizing the 0-255 floats and normalising afterwards equals normalising first (the map is affine).
    const resized = tf.image.resizeBilinear(rgb, [letterbox.resizedHeight, letterbox.resizedWidth], false, true);
    const mean = normalization === 'imagenet' ? (IMAGENET_MEAN as unknown as number[]) : 0.5;
    const std = normalization === 'imagenet' ? (IMAGENET_STD as unknown as number[]) : 0.5;
    const normalised = tf.div(tf.sub(tf.div(resized, 255), mean), std);
    const padded = tf.pad(normalised, [
      [0, frameHeight - letterbox.resizedHeight],
      [0, frameWidth - letterbox.resizedWidth],
      [0, 0],
    ]);
    return tf.expandDims(padded, 0) as tf.Tensor4D;
  });
  return { input, letterbox };
}

/**
 * The per-axis factors of a letterbox resize (`resized / original`), which `mapToOriginal` of
 * `@edet/anchors` divides network-input boxes by to give original-image pixels.
 */
export function letterboxScale(letterbox: Letterbox): BoxScale {
  return resizeScale([letterbox.height, letterbox.width], [letterbox.resizedHeight, letterbox.resizedWidth]);
}

/** The RGB channels of an image as 0-255 floats, interleaved `[height, width, 3]`. */
function rgbFloats(image: RgbImage): Float32Array {
  const { data, channels } = image;
  if (channels === 3) return Float32Array.from(data);
  const pixels = image.width * image.height;
  const out = new Float32Array(pixels * 3);
  for (let i = 0; i < pixels; i++) {
    out[i * 3] = data[i * 4];
    out[i * 3 + 1] = data[i * 4 + 1];
    out[i * 3 + 2] = data[i * 4 + 2];
  }
  return out;
}
