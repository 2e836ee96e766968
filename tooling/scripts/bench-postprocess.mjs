#!/usr/bin/env node
// Times `postprocess` of @edet/anchors on EfficientDet-D0-shaped head outputs (512x512: 49,104 anchors,
// 90 classes) on the wasm and cpu backends: per-class, agnostic and soft NMS at the default thresholds,
// and the demo worker's candidate path (threshold 0.01, iouThreshold 1, at most 5,000 kept), on the
// scores of a trained model (~5,900 anchors above 0.01) and of an untrained one (every anchor just above
// 0.01, as the demo's stand-in and models picked by name score).
//
//   node tooling/scripts/bench-postprocess.mjs [--runs 15] [--backend wasm|cpu] [--threads N] [--only TEXT] [--baseline DIR]
//
// --threads N runs wasm on tfjs's threaded build with N threads (`wasmNode`), as `edet detect` does by
// default; without it wasm is the single-threaded build.
//
// Needs `turbo run build` first (it loads the built dist/). With --baseline DIR, a copy of another
// build of packages/anchors/dist placed inside packages/anchors (so that its imports resolve, e.g.
// packages/anchors/node_modules/.baseline/dist), both are timed in the same process, their runs
// interleaved, and each line reports the baseline's median next to this build's, their ratio, and whether
// both gave the same detections. Each median is of wall time and, in brackets, of the process's CPU time
// (`process.cpuUsage`: what the call cost, less what other processes on a busy machine took from it).
// --only runs the cases whose label contains TEXT (e.g. --only demo). A last line times the pass over the
// scores alone: tf.max + tf.argMax against maxArgMax (one pass with @edet/wasm-kernels on wasm), each with
// the read-back of its [1, A] results.
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
    only: { type: 'string' },
    threads: { type: 'string' },
  },
});
const runs = Number(values.runs);
const backends = values.backend === undefined ? ['wasm', 'cpu'] : [values.backend];

const anchorsPackage = await load('packages/anchors/dist/index.js');
const baseline = values.baseline === undefined ? undefined : await load(`${values.baseline}/index.js`);
// The tfjs-core that the built packages import (the same module instance, so the same backend registry).
const tf = await import(pathToFileURL(createRequire(resolve(root, 'packages/anchors/package.json')).resolve('@tensorflow/tfjs-core')).href);
const { useBackend } = await load('packages/model/dist/index.js');
const { maxArgMax } = await load('packages/tensor/dist/index.js');
// The project's seeded generator (mulberry32), so every run sees the same outputs.
const { createRandom } = await load('packages/backbone-efficientnet/dist/index.js');
const threads = values.threads === undefined ? 1 : Number(values.threads);
if (!Number.isInteger(threads) || threads < 1) throw new Error(`--threads: expected a whole number from 1, got ${values.threads}`);
const loaders = {
  wasm: threads > 1 ? (await load('packages/model/dist/backends/wasm-node.js')).wasmNode(threads) : (await load('packages/model/dist/backends/wasm.js')).wasm,
  cpu: (await load('packages/model/dist/backends/cpu.js')).cpu,
};

const SIZE = 512;
const CLASSES = 90;

/**
 * Class probabilities like a trained D0's on a busy image: every score below 0.01 except one class on
 * about 12% of the anchors (~5,900, half of them "person"), regression deltas small enough that
 * neighbouring anchors' boxes overlap. `untrained`: every score within 1e-4 of 0.01, as a head whose
 * bias starts at the 0.01 prior gives, so nearly every anchor's best class is above 0.01.
 */
function headOutputs(count, untrained) {
  const next = createRandom(untrained ? 8 : 7);
  const scores = new Float32Array(count * CLASSES);
  if (untrained) {
    for (let index = 0; index < scores.length; index++) scores[index] = 0.0099 + next() * 0.0002;
  } else {
    for (let index = 0; index < scores.length; index++) scores[index] = next() * 0.009;
    for (let anchor = 0; anchor < count; anchor++) {
      if (next() >= 0.12) continue;
      const classId = next() < 0.5 ? 0 : Math.floor(next() * CLASSES);
      scores[anchor * CLASSES + classId] = 0.01 + 0.99 * next() ** 3;
    }
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
  ['demo candidates, untrained model: threshold 0.01, IoU 1, at most 5,000', { scoreThreshold: 0.01, iouThreshold: 1, maxDetections: 5000 }, true],
].filter(([label]) => values.only === undefined || label.includes(values.only));

function median(times) {
  const sorted = [...times].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

async function timeOne(postprocess, inputs, options) {
  const [start, cpuStart] = [performance.now(), process.cpuUsage()];
  const detections = await postprocess(inputs.classification, inputs.regression, inputs.anchors, options);
  const cpu = process.cpuUsage(cpuStart);
  return { ms: performance.now() - start, cpuMs: (cpu.user + cpu.system) / 1000, detections };
}

const format = (times, cpuTimes) => `${median(times).toFixed(2)} ms (cpu ${median(cpuTimes).toFixed(2)})`;

tf.enableProdMode();
for (const backend of backends) {
  await useBackend([loaders[backend]]);
  const anchors = anchorsPackage.anchorTensor({ imageSize: [SIZE, SIZE] });
  const outputs = { trained: { ...headOutputs(anchors.shape[0], false), anchors }, untrained: { ...headOutputs(anchors.shape[0], true), anchors } };
  const label = backend === 'wasm' && threads > 1 ? `wasm (${threads} threads)` : backend;
  console.log(`${label}: postprocess of [1, ${anchors.shape[0]}, ${CLASSES}] scores, median of ${runs} runs after 2 warm-up`);
  for (const [label, extra, untrained = false] of CASES) {
    const inputs = untrained ? outputs.untrained : outputs.trained;
    const options = { imageSize: [SIZE, SIZE], ...extra };
    const subjects = [['current', anchorsPackage.postprocess]];
    if (baseline !== undefined) subjects.unshift(['baseline', baseline.postprocess]);
    const times = new Map(subjects.map(([name]) => [name, { wall: [], cpu: [] }]));
    const results = new Map();
    for (let run = -2; run < runs; run++) {
      for (const [name, postprocess] of subjects) {
        const { ms, cpuMs, detections } = await timeOne(postprocess, inputs, options);
        if (run >= 0) times.get(name).wall.push(ms);
        if (run >= 0) times.get(name).cpu.push(cpuMs);
        results.set(name, detections);
      }
    }
    const kept = results.get('current')[0].length;
    const parts = subjects.map(([name]) => `${name} ${format(times.get(name).wall, times.get(name).cpu)}`);
    if (baseline !== undefined) {
      const same = JSON.stringify(results.get('baseline')) === JSON.stringify(results.get('current'));
      const ratio = (key) => (median(times.get('baseline')[key]) / median(times.get('current')[key])).toFixed(1);
      parts.push(`${ratio('wall')}x (cpu ${ratio('cpu')}x)`, same ? 'same detections' : 'DIFFERENT detections');
    }
    console.log(`  ${label} (${kept} kept): ${parts.join(', ')}`);
  }
  await scorePass(outputs.trained.classification);
  tf.dispose([anchors, ...Object.values(outputs).flatMap(({ classification, regression }) => [classification, regression])]);
}

/**
 * The pass over the [1, A, C] scores that every case starts with, alone and interleaved: the two tfjs ops
 * (what postprocess ran before maxArgMax) against maxArgMax, each with the read-back of its results.
 */
async function scorePass(classification) {
  const subjects = {
    'tf.max + tf.argMax': () => [tf.max(classification, 2), tf.argMax(classification, 2)],
    maxArgMax: () => maxArgMax(classification),
  };
  const times = Object.fromEntries(Object.keys(subjects).map((name) => [name, { wall: [], cpu: [] }]));
  for (let run = -2; run < runs; run++) {
    for (const [name, pass] of Object.entries(subjects)) {
      const [start, cpuStart] = [performance.now(), process.cpuUsage()];
      const outputs = pass();
      await Promise.all(outputs.map((tensor) => tensor.data()));
      const cpu = process.cpuUsage(cpuStart);
      const ms = performance.now() - start;
      tf.dispose(outputs);
      if (run < 0) continue;
      times[name].wall.push(ms);
      times[name].cpu.push((cpu.user + cpu.system) / 1000);
    }
  }
  const parts = Object.entries(times).map(([name, { wall, cpu }]) => `${name} ${format(wall, cpu)}`);
  console.log(`  scores pass with its read-back: ${parts.join(', ')}`);
}
