// Hues step by the golden angle, so neighbouring class ids (often related, e.g. car/bus/truck) get
// far-apart colours; the same scheme as `edet detect`'s annotated images.
const GOLDEN_ANGLE_DEGREES = 137.507_764;

/** The CSS colour of one class's boxes and labels: the same id always gives the same colour. */
export function classColour(classId: number): string {
  const hue = (((classId * GOLDEN_ANGLE_DEGREES) % 360) + 360) % 360;
  // Two lightness levels, so that hues that end up close still differ.
  return `hsl(${hue.toFixed(1)} 85% ${classId % 2 === 0 ? 50 : 42}%)`;
}
