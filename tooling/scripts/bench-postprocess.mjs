#!/usr/bin/env node
// Times `postprocess` of @edet/anchors on EfficientDet-D0-shaped head outputs (512x512: 49,104 anchors,
// 90 classes) on the wasm and cpu backends: per-class, agnostic and soft NMS at the default thresholds,
// and the demo worker's candidate path (threshold 0.01, iouThreshold 1, at most 5,000 kept).
//
//   node tooling/scripts/bench-postprocess.mjs [--runs 15] [--backend wasm|cpu] [--baseline DIR]
//
// Needs `turbo run build` first (it loads the built dist/). With --baseline DIR, a copy of another
// build of packages/anchors/dist placed inside packages/anchors (so that its imports resolve, e.g.
// packages/anchors/node_modules/.baseline/dist), both are timed in the same process, their runs
// interleaved, and each line reports the baseline's median next to this build's. A last line splits the
// demo candidate path into its stages.
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const load = (path) => import(pathToFileURL(resolve(root, path)).href);

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '15' },
    backend: { type: 'string' },
    baseline: { type: 'string' },
  },
});
const runs = Number(values.runs);
const backends = values.backend === undefined ? ['wasm', 'cpu'] : [values.backend];

const anchorsPackage = await load('packages/anchors/dist/index.js');
const baseline = values.baseline === undefined ? undefined : await load(`${values.baseline}/index.js`);
// The tfjs-core that the built packages import (the same module instance, so the same backend registry).
const tf = await import(pathToFileURL(createRequire(resolve(root, 'packages/anchors/package.json')).resolve('@tensorflow/tfjs-core')).href);
const { useBackend } = await load('packages/model/dist/index.js');
// The project's seeded generator (mulberry32), so every run sees the same outputs.
const { createRandom } = await load('packages/backbone-efficientnet/dist/index.js');
const loaders = {
  wasm: (await load('packages/model/dist/backends/wasm.js')).wasm,
  cpu: (await load('packages/model/dist/backends/cpu.js')).cpu,
};

const SIZE = 512;
const CLASSES = 90;

/**
 * Class probabilities like a trained D0's on a busy image: every score below 0.01 except one class on
 * about 12% of the anchors (~5,900, half of them "person"), regression deltas small enough that
 * neighbouring anchors' boxes overlap.
 */
function headOutputs(count) {
  const next = createRandom(7);
  const scores = new Float32Array(count * CLASSES);
  for (let index = 0; index < scores.length; index++) scores[index] = next() * 0.009;
  for (let anchor = 0; anchor < count; anchor++) {
    if (next() >= 0.12) continue;
    const classId = next() < 0.5 ? 0 : Math.floor(next() * CLASSES);
    scores[anchor * CLASSES + classId] = 0.01 + 0.99 * next() ** 3;
  }
  const deltas = new Float32Array(count * 4);
  for (let index = 0; index < deltas.length; index++) deltas[index] = (next() - 0.5) * 0.4;
  return {
    classification: tf.tensor3d(scores, [1, count, CLASSES]),
    regression: tf.tensor3d(deltas, [1, count, 4]),
  };
}

const CASES = [
  ['per-class, threshold 0.2, IoU 0.2', { nms: 'per-class' }],
  ['agnostic, threshold 0.2, IoU 0.2', { nms: 'agnostic' }],
  ['soft, threshold 0.2, sigma 0.5', { nms: 'soft' }],
  ['per-class, threshold 0.01, IoU 0.5', { nms: 'per-class', scoreThreshold: 0.01, iouThreshold: 0.5 }],
  ['demo candidates: threshold 0.01, IoU 1, at most 5,000', { scoreThreshold: 0.01, iouThreshold: 1, maxDetections: 5000 }],
];

function median(times) {
  const sorted = [...times].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

async function timeOne(postprocess, inputs, options) {
  const start = performance.now();
  const detections = await postprocess(inputs.classification, inputs.regression, inputs.anchors, options);
  return { ms: performance.now() - start, detections };
}

tf.enableProdMode();
for (const backend of backends) {
  await useBackend([loaders[backend]]);
  const anchors = anchorsPackage.anchorTensor({ imageSize: [SIZE, SIZE] });
  const inputs = { ...headOutputs(anchors.shape[0]), anchors };
  console.log(`${backend}: postprocess of [1, ${anchors.shape[0]}, ${CLASSES}] scores, median of ${runs} runs after 2 warm-up`);
  for (const [label, extra] of CASES) {
    const options = { imageSize: [SIZE, SIZE], ...extra };
    const subjects = [['current', anchorsPackage.postprocess]];
    if (baseline !== undefined) subjects.unshift(['baseline', baseline.postprocess]);
    const times = new Map(subjects.map(([name]) => [name, []]));
    const outputs = new Map();
    for (let run = -2; run < runs; run++) {
      for (const [name, postprocess] of subjects) {
        const { ms, detections } = await timeOne(postprocess, inputs, options);
        if (run >= 0) times.get(name).push(ms);
        outputs.set(name, detections);
      }
    }
    const kept = outputs.get('current')[0].length;
    const parts = subjects.map(([name]) => `${name} ${median(times.get(name)).toFixed(2)} ms`);
    if (baseline !== undefined) {
      const same = JSON.stringify(outputs.get('baseline')) === JSON.stringify(outputs.get('current'));
      parts.push(`${(median(times.get('baseline')) / median(times.get('current'))).toFixed(1)}x`, same ? 'same detections' : 'DIFFERENT detections');
    }
    console.log(`  ${label} (${kept} kept): ${parts.join(', ')}`);
  }
  await stages(inputs);
  tf.dispose(Object.values(inputs));
}

/**
 * Where the demo candidate path's time goes, stage by stage with the operations `postprocess` runs:
 * the max and argmax over classes with the read-back of the scores, the gather, decode and clip of the
 * candidates with their read-back, and `nms` on the plain arrays.
 */
async function stages({ classification, regression, anchors }) {
  const count = anchors.shape[0];
  const times = { 'max + argmax over classes, read scores': [], 'gather + decode + clip candidates, read': [], nms: [] };
  for (let run = -2; run < runs; run++) {
    let start = performance.now();
    const [best, classes] = [tf.max(classification, 2), tf.argMax(classification, 2)];
    const scores = await best.data();
    const selected = [];
    for (let anchor = 0; anchor < count; anchor++) if (scores[anchor] > Math.fround(0.01)) selected.push(anchor);
    const after = [performance.now()];
    const [boxes, ids] = tf.tidy(() => {
      const indices = tf.tensor1d(selected, 'int32');
      const decoded = anchorsPackage.decodeBoxes(tf.gather(tf.reshape(regression, [count, 4]), indices), tf.gather(anchors, indices));
      return [anchorsPackage.clipBoxes(decoded, [SIZE, SIZE]), tf.gather(tf.reshape(classes, [count]), indices)];
    });
    const [boxValues, idValues] = await Promise.all([boxes.data(), ids.data()]);
    tf.dispose([best, classes, boxes, ids]);
    after.push(performance.now());
    anchorsPackage.nms(boxValues, Float32Array.from(selected, (anchor) => scores[anchor]), idValues, { iouThreshold: 1, maxDetections: 5000 });
    after.push(performance.now());
    if (run < 0) continue;
    Object.values(times).forEach((list, stage) => {
      list.push(after[stage] - start);
      start = after[stage];
    });
  }
  console.log(`  demo candidate path by stage: ${Object.entries(times).map(([stage, list]) => `${stage} ${median(list).toFixed(2)} ms`).join(', ')}`);
}
