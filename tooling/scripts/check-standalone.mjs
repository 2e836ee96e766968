#!/usr/bin/env node
// Checks that each published package works when installed alone: packs every package as it would be
// published (pnpm rewrites workspace:* to versions), installs one package at a time into an empty npm project
// together with the tarballs of its @edet dependencies (as a registry would provide them), and runs a small
// plain-Node ESM program against it. Needs built packages (dist/) and the npm registry for tfjs.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../', import.meta.url));
const { packageManager } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const work = mkdtempSync(join(tmpdir(), 'edet-standalone-'));

// What each package must do on its own, in plain Node ESM.
const programs = {
  '@edet/tensor': `import * as tf from '@tensorflow/tfjs-core';
    import '@tensorflow/tfjs-backend-wasm';
    import { Conv2d } from '@edet/tensor';
    await tf.setBackend('wasm');
    const conv = new Conv2d(3, 4, 3, { stride: 2 });
    const g = tf.grad((x) => tf.sum(conv.forward(x)))(tf.ones([1, 8, 8, 3]));
    if (g.shape.join() !== '1,8,8,3' || Object.keys(conv.stateDict()).length !== 2) throw new Error('tensor');`,
  '@edet/safetensors': `import * as tf from '@tensorflow/tfjs-core';
    import '@tensorflow/tfjs-backend-cpu';
    import { parseSafetensors, readSafetensors, writeSafetensorsSync } from '@edet/safetensors';
    const bytes = writeSafetensorsSync({ w: tf.ones([2, 3]), n: tf.tensor1d([7], 'int32') }, { dtype: 'F16', metadata: { k: 'v' } });
    const parsed = parseSafetensors(bytes, { source: 'x.safetensors' });
    const { tensors } = readSafetensors(parsed);
    if (parsed.header.metadata.k !== 'v' || tensors.w.shape.join() !== '2,3' || tensors.n.dataSync()[0] !== 7) throw new Error('safetensors');`,
  '@edet/backbone-efficientnet': `import * as tf from '@tensorflow/tfjs-core';
    import '@tensorflow/tfjs-backend-wasm';
    import { EfficientNetBackbone } from '@edet/backbone-efficientnet';
    await tf.setBackend('wasm');
    const net = new EfficientNetBackbone({ variant: 0 });
    const [c3, c4, c5] = net.forward(tf.zeros([1, 64, 64, 3]));
    if (c5.shape.join() !== '1,2,2,320' || net.parameterCount() !== 3595388) throw new Error('backbone');`,
  '@edet/bifpn': `import * as tf from '@tensorflow/tfjs-core';
    import '@tensorflow/tfjs-backend-cpu';
    import { BiFpn } from '@edet/bifpn';
    await tf.setBackend('cpu');
    const fpn = new BiFpn({ channels: 16, layers: 2, backboneChannels: [8, 8, 8] });
    const maps = fpn.forward([tf.zeros([1, 16, 16, 8]), tf.zeros([1, 8, 8, 8]), tf.zeros([1, 4, 4, 8])]);
    if (maps.length !== 5 || maps[4].shape.join() !== '1,1,1,16') throw new Error('bifpn');`,
  '@edet/heads': `import * as tf from '@tensorflow/tfjs-core';
    import '@tensorflow/tfjs-backend-cpu';
    import { ClassHead } from '@edet/heads';
    await tf.setBackend('cpu');
    const head = new ClassHead({ channels: 8, layers: 1, levels: 2, anchorsPerLocation: 9 }, 3);
    const out = head.forward([tf.zeros([1, 4, 4, 8]), tf.zeros([1, 2, 2, 8])]);
    if (out.shape.join() !== '1,180,3') throw new Error('heads');`,
  '@edet/anchors': `import { anchorCount, nms } from '@edet/anchors';
    const kept = nms([[0, 0, 10, 10], [1, 1, 10, 10], [20, 20, 30, 30]], [0.9, 0.8, 0.7], undefined, { mode: 'agnostic', iouThreshold: 0.5 });
    if (anchorCount([512, 512]) !== 49104 || kept.indices.join() !== '0,2') throw new Error('anchors');`,
  '@edet/losses': `import * as tf from '@tensorflow/tfjs-core';
    import '@tensorflow/tfjs-backend-cpu';
    import { sigmoidFocalLoss } from '@edet/losses';
    await tf.setBackend('cpu');
    const g = tf.grad((x) => sigmoidFocalLoss(x, tf.tensor1d([1, 0])))(tf.tensor1d([0.3, -2]));
    if (!g.dataSync().every(Number.isFinite)) throw new Error('losses');`,
  '@edet/model': `import * as tf from '@tensorflow/tfjs-core';
    import { EfficientDet, useBackend } from '@edet/model';
    import { wasm } from '@edet/model/backends/wasm';
    await useBackend([wasm]);
    const model = new EfficientDet({ compoundCoef: 0 });
    const [cls] = model.forward(tf.zeros([1, 3, 128, 128]));
    if (model.parameterCount() !== 3880067 || cls.shape.join() !== '1,3069,90') throw new Error('model');`,
  '@edet/bccd-d0': `import { BCCD_D0_LABELS, BCCD_D0_MANIFEST, readBccdD0Weights } from '@edet/bccd-d0/node';
    import { createModelFromManifest, useBackend } from '@edet/model';
    import { wasm } from '@edet/model/backends/wasm';
    await useBackend([wasm]);
    const model = createModelFromManifest(BCCD_D0_MANIFEST, await readBccdD0Weights());
    if (BCCD_D0_LABELS.join() !== 'RBC,WBC,Platelets' || model.config.numClasses !== 3 || model.config.inputSize !== 512) throw new Error('bccd-d0');`,
  '@edet/coco-eval': `import { categoryMap, evaluateCoco, toCocoDetections } from '@edet/coco-eval';
    import { readCocoDataset } from '@edet/coco-eval/node';
    import { writeFileSync } from 'node:fs';
    writeFileSync('gt.json', JSON.stringify({ images: [{ id: 1 }], categories: [{ id: 3, name: 'cell' }],
      annotations: [{ id: 1, image_id: 1, category_id: 3, bbox: [10, 10, 50, 50] }] }));
    const gt = await readCocoDataset('gt.json');
    const dets = toCocoDetections([{ box: [10, 10, 60, 60], score: 0.9, classId: 0 }], 1, categoryMap(gt.categories));
    if (Math.abs(evaluateCoco(gt, dets).stats[0] - 1) > 1e-9) throw new Error('coco-eval');`,
  '@edet/data': `import { streamEpoch } from '@edet/data';
    import { loadCocoDataset } from '@edet/data/node';
    import { mkdirSync, writeFileSync } from 'node:fs';
    mkdirSync('ds/images', { recursive: true });
    writeFileSync('ds/images/a.jpg', '');
    writeFileSync('ds/instances_train.json', JSON.stringify({ images: [{ id: 1, file_name: 'a.jpg', width: 64, height: 32 }],
      categories: [{ id: 5, name: 'cell' }], annotations: [{ id: 1, image_id: 1, category_id: 5, bbox: [8, 4, 16, 8] }] }));
    const { samples } = loadCocoDataset('ds', 'train');
    const readImage = async () => ({ data: new Uint8Array(64 * 32 * 3).fill(128), width: 64, height: 32, channels: 3 });
    const options = { size: 32, batchSize: 1, seed: 1, augment: false, shuffle: false, dropLast: false, readImage };
    const batches = [];
    for await (const batch of streamEpoch(samples, 0, 0, options)) batches.push(batch);
    if (batches.length !== 1 || batches[0].boxes[0][0].join() !== '4,2,12,6,0' || batches[0].pixels.length !== 3072) throw new Error('data');`,
  '@edet/train': `import * as tf from '@tensorflow/tfjs-core';
    import { EfficientDet, trainStep, useBackend } from '@edet/model';
    import { wasm } from '@edet/model/backends/wasm';
    import { GradientWorkers, createOptimizer, learningRateAt, parallelTrainStep } from '@edet/train';
    import { spawnWorkerThread } from '@edet/train/node';
    await useBackend([wasm]);
    const model = new EfficientDet({ compoundCoef: 0, numClasses: 3, fpnLayers: 1, headLayers: 1 });
    const optimizer = createOptimizer('adamw', learningRateAt({ baseLr: 1e-3, warmupSteps: 1, totalSteps: 2, minLr: 0 }, 0), 0.01);
    const x = tf.randomNormal([2, 128, 128, 3], 0, 1, 'float32', 3);
    const targets = [tf.tensor2d([[10, 10, 60, 60, 1]]), tf.tensor2d([[20, 30, 90, 100, 2]])];
    const alone = trainStep(model, optimizer, x, targets, { channelsLast: true, microBatch: 1 });
    const workers = await GradientWorkers.start(model, { count: 2, spawn: spawnWorkerThread });
    const parallel = await parallelTrainStep(workers, model, optimizer, x, targets, { channelsLast: true, microBatch: 1, step: 1 });
    await workers.close();
    if (!Number.isFinite(alone.loss) || !Number.isFinite(parallel.loss) || optimizer.step !== 2) throw new Error('train');`,
  '@edet/wasm-kernels': `import * as tf from '@tensorflow/tfjs-core';
    import '@tensorflow/tfjs-backend-wasm';
    import { WASM_KERNELS, registerWasmKernels } from '@edet/wasm-kernels';
    if (registerWasmKernels().length !== WASM_KERNELS.length) throw new Error('wasm-kernels: registration');
    await tf.setBackend('wasm');
    const attrs = { strides: 1, pad: 'same', dataFormat: 'NHWC', dilations: 1, filterShape: [3, 3, 2, 4] };
    const dw = tf.engine().runKernel('Conv2DBackpropFilter', { x: tf.ones([1, 5, 5, 2]), dy: tf.ones([1, 5, 5, 4]) }, attrs);
    if (dw.shape.join() !== '3,3,2,4' || dw.dataSync()[0] !== 16 || dw.dataSync()[32] !== 25) throw new Error('wasm-kernels');`,
  '@edet/pth': `import { zipSync } from 'fflate';
    import { PthError, pthToSafetensors, readPth } from '@edet/pth';
    const pickle = Buffer.from('800263636f6c6c656374696f6e730a4f726465726564446963740a29522858010000007763746f7263682e5f7574696c730a5f72656275696c645f74656e736f725f76320a2828580700000073746f7261676563746f7263680a466c6f617453746f726167650a58010000003058030000006370754a0200000074514a00000000284a0200000074284a01000000748963636f6c6c656374696f6e730a4f726465726564446963740a29527452752e', 'hex');
    const file = zipSync({ 'archive/data.pkl': pickle, 'archive/data/0': new Uint8Array(new Float32Array([1.5, -2]).buffer) }, { level: 0 });
    const { tensors } = readPth(file);
    let refused = false;
    try { readPth(new Uint8Array(8)); } catch (error) { refused = error instanceof PthError; }
    if (tensors.w.shape.join() !== '2' || new Float32Array(tensors.w.data.buffer)[1] !== -2 || pthToSafetensors(file).length < 8 || !refused) throw new Error('pth');`,
};

// The tfjs backends each program imports (optional peer dependencies, so the user installs the ones they use).
const backendPackages = {
  '@edet/tensor': ['@tensorflow/tfjs-backend-wasm@4.22.0'],
  '@edet/backbone-efficientnet': ['@tensorflow/tfjs-backend-wasm@4.22.0'],
  '@edet/bifpn': ['@tensorflow/tfjs-backend-cpu@4.22.0'],
  '@edet/heads': ['@tensorflow/tfjs-backend-cpu@4.22.0'],
  '@edet/losses': ['@tensorflow/tfjs-backend-cpu@4.22.0'],
  '@edet/model': ['@tensorflow/tfjs-backend-wasm@4.22.0'],
  '@edet/wasm-kernels': ['@tensorflow/tfjs-backend-wasm@4.22.0'],
  '@edet/safetensors': ['@tensorflow/tfjs-backend-cpu@4.22.0'],
  '@edet/bccd-d0': ['@tensorflow/tfjs-backend-wasm@4.22.0'],
  '@edet/train': ['@tensorflow/tfjs-backend-wasm@4.22.0'],
};

const packageDirs = readdirSync(join(root, 'packages'));

/** Runs `task` over `items`, at most `limit` at a time (installing waits on the disk and the registry). */
async function inParallel(items, limit, task) {
  const queue = [...items];
  const lanes = Array.from({ length: Math.min(limit, queue.length) }, async () => {
    while (queue.length > 0) await task(queue.shift());
  });
  await Promise.all(lanes);
}

// One pnpm call packs them all (a pnpm start per package cost more than the packing); pnpm names each
// tarball <scope>-<name>-<version>.tgz.
await run('npx', ['--yes', packageManager, '--recursive', '--filter', './packages/*', 'pack', '--workspace-concurrency', '4', '--pack-destination', work], { cwd: root, encoding: 'utf8' });
const tarballs = {};
for (const dir of packageDirs) {
  const { name, version } = JSON.parse(readFileSync(join(root, 'packages', dir, 'package.json'), 'utf8'));
  const tarball = join(work, `${name.slice(1).replace('/', '-')}-${version}.tgz`);
  if (!existsSync(tarball)) throw new Error(`pnpm pack wrote no ${tarball} for ${name}`);
  tarballs[name] = tarball;
}

function edetDependencies(name, seen = new Set()) {
  const dir = packageDirs.find((d) => JSON.parse(readFileSync(join(root, 'packages', d, 'package.json'), 'utf8')).name === name);
  const { dependencies = {} } = JSON.parse(readFileSync(join(root, 'packages', dir, 'package.json'), 'utf8'));
  for (const dependency of Object.keys(dependencies).filter((d) => d.startsWith('@edet/'))) {
    if (!seen.has(dependency)) {
      seen.add(dependency);
      edetDependencies(dependency, seen);
    }
  }
  return seen;
}

const failures = [];
const reports = {};
await inParallel(Object.entries(programs), 3, async ([name, program]) => {
  const project = mkdtempSync(join(work, 'project-'));
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  const needed = [name, ...edetDependencies(name)].map((n) => tarballs[n]);
  try {
    // --prefer-offline: tfjs from npm's cache without asking the registry whether it changed (pinned versions).
    await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', ...needed, '@tensorflow/tfjs-core@4.22.0', ...(backendPackages[name] ?? [])], { cwd: project });
    writeFileSync(join(project, 'check.mjs'), program);
    await run('node', ['check.mjs'], { cwd: project });
    reports[name] = `ok ${name} (installed with ${needed.length - 1} @edet dependencies)`;
  } catch (error) {
    failures.push(name);
    reports[name] = `FAILED ${name}: ${String(error.stderr || error.message).trim().split('\n').slice(-3).join(' | ')}`;
  }
});
// In the programs' order, whatever order they finished in.
for (const name of Object.keys(programs)) console.log(reports[name]);
rmSync(work, { recursive: true, force: true });
if (failures.length > 0) process.exit(1);
