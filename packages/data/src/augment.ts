import type { PlacementDraw } from './placement.js';
import { NO_JITTER, type ColourJitter } from './render.js';
import { type Random, uniform } from './random.js';

/** Ranges of the training augmentation. */
export interface AugmentConfig {
  /** Probability of a left-right flip. */
  flipProbability: number;
  /** Scale jitter around the letterbox size: `[min, max]`. */
  scaleRange: [number, number];
  /** Colour jitter strengths: each factor is drawn from `[1 - s, 1 + s]`. */
  brightness: number;
  contrast: number;
  saturation: number;
}

/** The defaults: flips, scale 0.8-1.2 with random crop/pad, ±20% brightness, contrast and saturation. */
export const DEFAULT_AUGMENT: AugmentConfig = {
  flipProbability: 0.5,
  scaleRange: [0.8, 1.2],
  brightness: 0.2,
  contrast: 0.2,
  saturation: 0.2,
};

/** Everything random about one training sample. */
export interface SampleAugmentation {
  placement: PlacementDraw;
  jitter: ColourJitter;
}

/** No augmentation: the plain letterbox, colours untouched. */
export const NO_AUGMENTATION: SampleAugmentation = { placement: { flip: false, scale: 1, u: 0, v: 0 }, jitter: NO_JITTER };

/** Draws one sample's augmentation from its own stream (always the same number of draws, in the same order). */
export function drawAugmentation(random: Random, config: AugmentConfig = DEFAULT_AUGMENT): SampleAugmentation {
  const flip = random() < config.flipProbability;
  const scale = uniform(random, config.scaleRange[0], config.scaleRange[1]);
  const u = random();
  const v = random();
  const brightness = uniform(random, 1 - config.brightness, 1 + config.brightness);
  const contrast = uniform(random, 1 - config.contrast, 1 + config.contrast);
  const saturation = uniform(random, 1 - config.saturation, 1 + config.saturation);
  return { placement: { flip, scale, u, v }, jitter: { brightness, contrast, saturation } };
}
