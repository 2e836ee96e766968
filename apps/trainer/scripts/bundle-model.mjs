#!/usr/bin/env node
// Converts an `edet train` run into the bundled model that `edet detect`, `edet eval` and the web demo use
// by default: packages/bccd-d0/weights.safetensors (F16) and model.json, the @edet/bccd-d0 package. The
// manifest is checked with @edet/model's checkModelManifest before it is written. Uses the BUILT packages
// (`npx pnpm@10.34.8 build` first). Re-running it with the same inputs writes the same bytes.
//
//   node apps/trainer/scripts/bundle-model.mjs runs/bccd-d0 \
//     [--weights FILE] [--classes FILE] [--out DIR] [--name NAME] \
//     [--command "edet train ..."] [--dataset "..."] [--eval EVAL.json [--eval-split val]] [--dtype F16|F32]
//
// See scripts/README.md.
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { bundleModel, oneLineMessage, SAMPLES_DIRECTORY, startBackend } from '../dist/index.js';

const repositoryRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

const usage = `usage: node apps/trainer/scripts/bundle-model.mjs RUN_FOLDER [--weights FILE] [--classes FILE] [--out DIR]
    [--name NAME] [--command "edet train ..."] [--dataset TEXT] [--eval EVAL.json] [--eval-split val] [--dtype F16|F32]`;

let parsed;
try {
  parsed = parseArgs({
    allowPositionals: true,
    options: {
      weights: { type: 'string' },
      classes: { type: 'string' },
      out: { type: 'string', default: join(repositoryRoot, 'packages', 'bccd-d0') },
      name: { type: 'string', default: 'EfficientDet-D0 BCCD' },
      command: { type: 'string' },
      dataset: { type: 'string' },
      eval: { type: 'string' },
      'eval-split': { type: 'string', default: 'val' },
      dtype: { type: 'string', default: 'F16' },
      help: { type: 'boolean', short: 'h' },
    },
  });
} catch (error) {
  console.error(`bundle-model: ${error.message}\n${usage}`);
  process.exit(2);
}
const { values, positionals } = parsed;
if (values.dtype !== 'F16' && values.dtype !== 'F32') {
  console.error(`bundle-model: --dtype ${values.dtype}: expected F16 or F32\n${usage}`);
  process.exit(2);
}
if (values.help || positionals.length > 1 || (positionals.length === 0 && values.weights === undefined)) {
  (values.help ? console.log : console.error)(usage);
  process.exit(values.help ? 0 : 2);
}

// The copy is checked against the source on the BCCD sample images.
const checkImages = readdirSync(SAMPLES_DIRECTORY)
  .filter((name) => /^BloodImage_.*\.jpg$/.test(name))
  .sort()
  .map((name) => join(SAMPLES_DIRECTORY, name));

try {
  const backend = await startBackend();
  console.log(`backend: ${backend}`);
  await bundleModel({
    run: positionals[0],
    weights: values.weights,
    classes: values.classes,
    out: values.out,
    name: values.name,
    trainingCommand: values.command,
    dataset: values.dataset,
    evaluationFile: values.eval,
    evaluationSplit: values['eval-split'],
    dtype: values.dtype,
    checkImages,
    log: (line) => console.log(line),
  });
} catch (error) {
  console.error(`bundle-model: ${oneLineMessage(error)}`);
  if (process.env.EDET_DEBUG) console.error(error);
  process.exitCode = 1;
}
