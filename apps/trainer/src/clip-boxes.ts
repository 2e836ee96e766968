import type { Detection } from '@edet/model';

/**
 * Clips each box to the image, `0 <= x <= width`, `0 <= y <= height`, and drops boxes left with no area
 * (those that lay wholly in the letterbox padding). `model.detect` follows the reference and clips only to
 * the network input, so a box can reach into the padding, past the image's right or bottom edge; a user of
 * the command line wants boxes that lie on the picture.
 */
export function clipToImage(detections: readonly Detection[], width: number, height: number): Detection[] {
  const clamp = (value: number, limit: number) => Math.min(Math.max(value, 0), limit);
  const clipped = detections.map((detection) => {
    const [x1, y1, x2, y2] = detection.box;
    return { ...detection, box: [clamp(x1, width), clamp(y1, height), clamp(x2, width), clamp(y2, height)] as Detection['box'] };
  });
  return clipped.filter(({ box: [x1, y1, x2, y2] }) => x2 > x1 && y2 > y1);
}
