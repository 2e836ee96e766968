import { IMAGENET_MEAN, IMAGENET_STD, type Normalization, type RgbImage } from '@edet/model';

import { type Placement, inputFrame } from './placement.js';

/** Colour jitter factors (1 = unchanged), applied in this order on 0-255 values before normalisation. */
export interface ColourJitter {
  brightness: number;
  contrast: number;
  saturation: number;
}

export const NO_JITTER: ColourJitter = { brightness: 1, contrast: 1, saturation: 1 };

/** Source indices and weights of one output axis, as tfjs's `resizeBilinear` with half-pixel centres computes them. */
interface AxisTaps {
  low: Int32Array;
  high: Int32Array;
  fraction: Float32Array;
  /** Output range covered by the image: `[start, end)`. */
  start: number;
  end: number;
}

/**
 * Taps of one axis: output pixel `o` (inside the placed image) samples the resized image at `r = o - offset`,
 * i.e. the source at `(r + 0.5) * source / resized - 0.5`, floored at 0 and capped at `source - 1`, with the
 * weight measured from the clamped floor: the same formula as tfjs's bilinear resize (alignCorners false,
 * halfPixelCenters true), so an unaugmented placement reproduces `letterboxImage`.
 */
function axisTaps(source: number, resized: number, offset: number, side: number, flip: boolean): AxisTaps {
  const start = Math.max(0, offset);
  const end = Math.min(side, offset + resized);
  const count = Math.max(0, end - start);
  const low = new Int32Array(count);
  const high = new Int32Array(count);
  const fraction = new Float32Array(count);
  const ratio = source / resized;
  for (let i = 0; i < count; i++) {
    const position = (start + i - offset + 0.5) * ratio - 0.5;
    const floor = Math.max(0, Math.floor(position));
    const ceil = Math.min(source - 1, Math.ceil(position));
    // A flipped image is the source read right to left.
    low[i] = flip ? source - 1 - floor : floor;
    high[i] = flip ? source - 1 - ceil : ceil;
    fraction[i] = position - floor;
  }
  return { low, high, fraction, start, end };
}

/** Per channel, `value / 255` normalised is `value * scale - shift`: ImageNet statistics, or `(x - 0.5) / 0.5`. */
function normalisationOf(normalization: Normalization): { scale: number[]; shift: number[] } {
  const mean: readonly number[] = normalization === 'symmetric' ? [0.5, 0.5, 0.5] : IMAGENET_MEAN;
  const std: readonly number[] = normalization === 'symmetric' ? [0.5, 0.5, 0.5] : IMAGENET_STD;
  return { scale: std.map((s) => 1 / (255 * s)), shift: mean.map((m, c) => m / std[c]) };
}

/**
 * Renders one image into its network input: bilinear resample per `placement`, colour jitter,
 * normalisation as the model's `letterboxImage` does it (`imagenet`, the D family's default, or
 * `symmetric`, the Lite models': `config.normalization`), zeros outside the image. Writes
 * `height * width * 3` floats (`[height, width, 3]`, one image of `placement.size`) into `out` starting at
 * `offset`; the caller passes a zeroed region.
 * @throws DataError naming `size` when `placement.size` is not an input size
 */
export function renderImage(
  image: RgbImage,
  placement: Placement,
  jitter: ColourJitter,
  out: Float32Array,
  offset = 0,
  normalization: Normalization = 'imagenet',
): void {
  const [frameHeight, frameWidth] = inputFrame(placement.size);
  const xs = axisTaps(image.width, placement.resizedWidth, placement.offsetX, frameWidth, placement.flip);
  const ys = axisTaps(image.height, placement.resizedHeight, placement.offsetY, frameHeight, false);
  const { data, channels, width } = image;
  const rowStride = width * channels;
  const jittered = jitter.brightness !== 1 || jitter.contrast !== 1 || jitter.saturation !== 1;

  // First pass: resample into `out` as 0-255 floats.
  for (let j = 0; j < ys.end - ys.start; j++) {
    const top = ys.low[j] * rowStride;
    const bottom = ys.high[j] * rowStride;
    const fy = ys.fraction[j];
    let o = offset + ((ys.start + j) * frameWidth + xs.start) * 3;
    for (let i = 0; i < xs.end - xs.start; i++) {
      const left = xs.low[i] * channels;
      const right = xs.high[i] * channels;
      const fx = xs.fraction[i];
      for (let c = 0; c < 3; c++) {
        const topLeft = data[top + left + c];
        const topRight = data[top + right + c];
        const bottomLeft = data[bottom + left + c];
        const bottomRight = data[bottom + right + c];
        const upper = topLeft + (topRight - topLeft) * fx;
        const lower = bottomLeft + (bottomRight - bottomLeft) * fx;
        out[o + c] = upper + (lower - upper) * fy;
      }
      o += 3;
    }
  }

  // Mean grey of the placed image, for the contrast jitter.
  let meanGrey = 0;
  if (jittered && jitter.contrast !== 1) {
    let sum = 0;
    for (let y = ys.start; y < ys.end; y++) {
      for (let o = offset + (y * frameWidth + xs.start) * 3, e = offset + (y * frameWidth + xs.end) * 3; o < e; o += 3) {
        sum += 0.299 * out[o] + 0.587 * out[o + 1] + 0.114 * out[o + 2];
      }
    }
    // Contrast acts after brightness, so its grey level is the brightened one.
    meanGrey = Math.min(255, (jitter.brightness * sum) / Math.max(1, (ys.end - ys.start) * (xs.end - xs.start)));
  }

  // Second pass: jitter, clamp, normalise.
  const { scale, shift } = normalisationOf(normalization);
  const { brightness, contrast, saturation } = jitter;
  const clamp = (value: number) => (value < 0 ? 0 : value > 255 ? 255 : value);
  for (let y = ys.start; y < ys.end; y++) {
    for (let o = offset + (y * frameWidth + xs.start) * 3, e = offset + (y * frameWidth + xs.end) * 3; o < e; o += 3) {
      let r = out[o];
      let g = out[o + 1];
      let b = out[o + 2];
      if (jittered) {
        r = clamp(r * brightness);
        g = clamp(g * brightness);
        b = clamp(b * brightness);
        r = clamp((r - meanGrey) * contrast + meanGrey);
        g = clamp((g - meanGrey) * contrast + meanGrey);
        b = clamp((b - meanGrey) * contrast + meanGrey);
        const grey = 0.299 * r + 0.587 * g + 0.114 * b;
        r = clamp(grey + (r - grey) * saturation);
        g = clamp(grey + (g - grey) * saturation);
        b = clamp(grey + (b - grey) * saturation);
      }
      out[o] = r * scale[0] - shift[0];
      out[o + 1] = g * scale[1] - shift[1];
      out[o + 2] = b * scale[2] - shift[2];
    }
  }
}
