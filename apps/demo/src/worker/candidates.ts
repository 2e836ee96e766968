import * as tf from '@tensorflow/tfjs-core';
import { postprocess } from '@edet/anchors';
import { type InputSize, inputShape } from '@edet/model';

import { CANDIDATE_SCORE_THRESHOLD, MAX_CANDIDATES } from '../config.js';
import type { Candidates } from '../protocol.js';

/**
 * The second half of `model.detect` without its NMS: every anchor scoring above `CANDIDATE_SCORE_THRESHOLD`
 * (the best `MAX_CANDIDATES`), decoded and clipped by `postprocess` itself, best first. Running `nms` on
 * these with a score threshold at or above the candidate threshold then gives exactly what `model.detect`
 * gives (see `selectDetections`), as long as the list was not capped.
 * @param classification `[1, A, C]`, regression `[1, A, 4]`, anchors `[A, 4]`: `model.forward`'s outputs,
 *   not disposed.
 * @param size the network input side.
 */
export async function candidatesFromOutputs(
  classification: tf.Tensor,
  regression: tf.Tensor,
  anchors: tf.Tensor,
  size: InputSize,
): Promise<Candidates> {
  // IoU never exceeds 1, so this "NMS" suppresses nothing: it only sorts and caps.
  const [kept] = await postprocess(classification, regression, anchors, {
    imageSize: inputShape(size),
    scoreThreshold: CANDIDATE_SCORE_THRESHOLD,
    iouThreshold: 1,
    maxDetections: MAX_CANDIDATES,
  });
  const count = kept.length;
  const candidates: Candidates = {
    boxes: new Float32Array(count * 4),
    scores: new Float32Array(count),
    classIds: new Int32Array(count),
    capped: count === MAX_CANDIDATES,
  };
  kept.forEach((detection, index) => {
    candidates.boxes.set(detection.box, index * 4);
    candidates.scores[index] = detection.score;
    candidates.classIds[index] = detection.classId;
  });
  return candidates;
}
