import { realpath, rename, rm, writeFile } from 'node:fs/promises';
import { basename, resolve } from 'node:path';

import { type PthDtype, encodeSafetensors } from '@edet/pth';
import { EfficientDet, type KeyLayout, checkpointGeometry, detectKeyLayout, parseCheckpoint } from '@edet/model';
import type { ParsedSafetensors } from '@edet/safetensors';
import { Option, type Command } from 'commander';

import { startBackend } from '../backend.js';
import { CliError } from '../errors.js';
import type { CommandIo } from '../io.js';
import { type Architecture, MODEL_NAMES_HINT, architectureConfig, chooseArchitecture, parseModelName } from '../model-names.js';
import { integerParser } from '../options.js';
import { readWeightsBytes } from '../weights-bytes.js';

/** The key layouts `--layout` can name. */
const LAYOUTS = ['zylo117', 'rwightman'] as const satisfies readonly KeyLayout[];

/** Anchors per location of every EfficientDet (3 scales x 3 ratios): the class head has classes x 9 outputs. */
const ANCHORS_PER_LOCATION = 9;

/** The class head's output weights in each layout: its first dimension is classes x anchors. */
const CLASS_HEAD_KEYS: Record<KeyLayout, string> = {
  zylo117: 'classifier.header.pointwise_conv.conv.weight',
  rwightman: 'class_net.predict.conv_pw.weight',
};

/** The parsed options of `edet convert`. */
export interface ConvertOptions {
  ema: boolean;
  layout?: KeyLayout;
  /** With `layout`: the model by published name; default: the file's `model` metadata, else `coef`. */
  model?: string;
  /** With `layout`: the EfficientDet variant; default: the file's `compound_coef` metadata, else 0. */
  coef?: number;
}

/** Adds `edet convert` to the program. */
export function registerConvertCommand(program: Command, io: CommandIo): void {
  program
    .command('convert')
    .description('convert weights (PyTorch .pth, either format, or safetensors) to a safetensors file')
    .argument('<input>', 'a .pth checkpoint (state dict or training checkpoint) or a .safetensors file')
    .argument('<output>', 'the .safetensors file to write (never the input; written whole or not at all)')
    .option('--ema', "take a training checkpoint's EMA weights (state_dict_ema)", false)
    .addOption(new Option('--layout <layout>', 'key layout to write (default: the input\'s own)').choices(LAYOUTS))
    .option('--model <name>', `model of the weights by published name, when --layout changes the layout: ${MODEL_NAMES_HINT} (default: the file's model metadata, else --coef)`, parseModelName)
    .option('--coef <n>', "EfficientDet variant of the weights, when --layout changes the layout (default: the file's compound_coef metadata, else 0)", integerParser(0))
    .action(async (input: string, output: string, options: ConvertOptions) => {
      await convertWeights(input, output, options, io);
    });
}

/**
 * Converts a weights file to safetensors. Tensors are copied bit for bit in their own dtypes unless
 * `--layout` asks for the other key layout (then they go through the model `--model` / `--coef` or the
 * file's metadata name, D0 by default). A `.pth` input gets
 * `format: pt`, `layout` and `converted_from` metadata (and the checkpoint's `arch` / `epoch`); a safetensors
 * input keeps its metadata.
 * @throws CliError when the output is not a `.safetensors` path, is the input itself, or cannot be written
 * @throws FileFormatError / StateDictError for a broken input or one that does not fit the model
 */
export async function convertWeights(input: string, output: string, options: ConvertOptions, io: CommandIo): Promise<void> {
  if (!output.endsWith('.safetensors')) throw new CliError(`${output}: the output must be a .safetensors file`);
  if (await sameFile(input, output)) throw new CliError(`${output}: is the input file; write the conversion to another file`);
  chooseArchitecture({ model: options.model, compoundCoef: options.coef }); // a contradiction fails before any reading
  const { bytes, format } = await readWeightsBytes(input, { ema: options.ema, metadata: { converted_from: basename(input) } });
  const parsed = parseCheckpoint(bytes, { source: input });
  const names = parsed.header.entries.map((entry) => entry.name);
  const layout = detectKeyLayout(names);
  let result = bytes;
  if (options.layout !== undefined && options.layout !== layout) {
    const recorded = checkpointGeometry(parsed.header.metadata, input);
    result = await changeLayout(parsed, layout, options.layout, chooseArchitecture({ model: options.model, compoundCoef: options.coef, recorded }));
  } else if (format === 'pth' && layout !== null) {
    result = withMetadata(parsed, { ...parsed.header.metadata, layout });
  }
  await writeAtomically(output, result);
  const written = options.layout ?? layout ?? 'unknown';
  io.out(`wrote ${output}: ${names.length} tensors from ${format === 'pth' ? 'PyTorch' : 'safetensors'} ${input}, ${written} layout${options.ema ? ', EMA weights' : ''}\n`);
}

/** Loads the weights into a model and saves them in the other layout (class count from the class head). */
async function changeLayout(parsed: ParsedSafetensors, from: KeyLayout | null, to: KeyLayout, architecture: Architecture): Promise<Uint8Array> {
  if (from === null) throw new CliError(`${parsed.source}: its keys match no known EfficientDet layout, so it cannot be converted to ${to}`);
  const head = parsed.header.entries.find((entry) => entry.name === CLASS_HEAD_KEYS[from]);
  if (head === undefined || head.shape[0] % ANCHORS_PER_LOCATION !== 0) {
    throw new CliError(`${parsed.source}: no class head '${CLASS_HEAD_KEYS[from]}' with classes x ${ANCHORS_PER_LOCATION} outputs, so the class count is unknown`);
  }
  await startBackend(undefined);
  const model = new EfficientDet(architectureConfig(architecture, { numClasses: head.shape[0] / ANCHORS_PER_LOCATION }));
  try {
    model.loadSafetensors(parsed, { layout: from });
    const { layout: _drop, ...metadata } = parsed.header.metadata;
    return await model.saveSafetensors({ layout: to, metadata });
  } finally {
    model.dispose();
  }
}

/** The same tensors, byte for byte, under other metadata. */
function withMetadata(parsed: ParsedSafetensors, metadata: Record<string, string>): Uint8Array {
  const { bytes, header } = parsed;
  const tensors = Object.fromEntries(
    header.entries.map((entry) => [
      entry.name,
      {
        dtype: entry.dtype as PthDtype,
        shape: entry.shape,
        data: bytes.subarray(header.dataStart + entry.dataOffsets[0], header.dataStart + entry.dataOffsets[1]),
      },
    ]),
  );
  return encodeSafetensors(tensors, metadata);
}

/** Whether two paths name the same file (following links; a missing output is not the input). */
async function sameFile(a: string, b: string): Promise<boolean> {
  if (resolve(a) === resolve(b)) return true;
  try {
    return (await realpath(a)) === (await realpath(b));
  } catch {
    return false;
  }
}

/** Writes through a temporary name beside the target and renames, so that no reader sees half a file. */
async function writeAtomically(path: string, data: Uint8Array): Promise<void> {
  const temporary = `${path}.tmp-${process.pid}`;
  try {
    await writeFile(temporary, data);
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    const code = (error as NodeJS.ErrnoException).code ?? '';
    const problem = { ENOENT: 'its folder does not exist', EACCES: 'permission denied', EPERM: 'permission denied', EISDIR: 'is a directory' }[code];
    throw new CliError(`${path}: cannot be written (${problem ?? (error as Error).message})`);
  }
}
