/** An sRGB colour, each channel 0..255. */
export type Rgb = readonly [number, number, number];

// One palette for every picture of detections (the command line's annotated images, the demo's canvas and
// list): the same class id gets the same colour everywhere.

// Hues step by the golden angle, so neighbouring class ids (which are often related, e.g. car/bus/truck)
// get far-apart colours and no two of the first ~100 ids look alike.
const GOLDEN_ANGLE_DEGREES = 137.507_764;

/** The colour used for one class's boxes and labels: the same id always gives the same colour. */
export function classColour(classId: number): Rgb {
  const hue = (((classId * GOLDEN_ANGLE_DEGREES) % 360) + 360) % 360;
  // Alternate two lightness levels so that hues that end up close still differ.
  return hslToRgb(hue, 0.85, classId % 2 === 0 ? 0.5 : 0.42);
}

/** `rgb(r, g, b)` for a canvas fill or stroke style. */
export function cssColour([red, green, blue]: Rgb): string {
  return `rgb(${red}, ${green}, ${blue})`;
}

/** Black or white, whichever reads better on `background` (by relative luminance). */
export function textColourOn([red, green, blue]: Rgb): Rgb {
  const luminance = 0.2126 * red + 0.7152 * green + 0.0722 * blue;
  return luminance > 140 ? [0, 0, 0] : [255, 255, 255];
}

/** HSL (hue in degrees, saturation and lightness in [0, 1]) to 8-bit sRGB. */
function hslToRgb(hue: number, saturation: number, lightness: number): Rgb {
  const chroma = (1 - Math.abs(2 * lightness - 1)) * saturation;
  const channel = (n: number) => {
    const k = (n + hue / 30) % 12;
    const value = lightness - chroma / 2 * Math.max(-1, Math.min(k - 3, 9 - k, 1));
    return Math.round(value * 255);
  };
  return [channel(0), channel(8), channel(4)];
}
