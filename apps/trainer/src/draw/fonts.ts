import { GlobalFonts } from '@napi-rs/canvas';

// Skia draws no text at all when no font is registered, so labels depend on the fonts it found on the
// system at start-up. These families are preferred in order; any registered family will do.
const PREFERRED_FAMILIES = ['DejaVu Sans', 'Liberation Sans', 'Noto Sans', 'Arial', 'Helvetica'];

/**
 * The font family for box labels, or `undefined` when the system has no fonts (then boxes are drawn
 * without text).
 */
export function labelFontFamily(): string | undefined {
  const families = GlobalFonts.families.map((entry) => entry.family);
  return PREFERRED_FAMILIES.find((family) => families.includes(family)) ?? families[0];
}
