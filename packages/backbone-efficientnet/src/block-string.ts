import { InvalidArgumentError } from '@edet/tensor';

/**
 * One row of the EfficientNet architecture: a stage of `repeats` MBConv blocks, before width/depth scaling.
 * Only the first block of a stage has `stride` and `inputFilters`; the repeats take stride 1 and
 * `outputFilters` in.
 */
export interface BlockDefinition {
  /** Number of blocks in the stage (`r`). */
  readonly repeats: number;
  /** Depthwise kernel size (`k`). */
  readonly kernelSize: number;
  /** Stride of the stage's first depthwise conv (`s11` -> 1, `s22` -> 2). */
  readonly stride: number;
  /** Integer expansion ratio of the 1x1 expand conv; 1 means no expand conv (`e`). */
  readonly expandRatio: number;
  /** Input channels of the stage's first block (`i`). */
  readonly inputFilters: number;
  /** Output channels of every block of the stage (`o`). */
  readonly outputFilters: number;
  /** Squeeze-and-excitation ratio relative to the block input (`se`), or null for no SE. */
  readonly seRatio: number | null;
  /** Whether the identity skip is allowed (false with the `noskip` token). */
  readonly idSkip: boolean;
}

/**
 * The seven stages of EfficientNet-B0 (Tan & Le 2019, table 1) in the efficientnet-pytorch string form.
 * Every other variant scales these rows.
 */
export const EFFICIENTNET_BLOCK_STRINGS: readonly string[] = [
  'r1_k3_s11_e1_i32_o16_se0.25',
  'r2_k3_s22_e6_i16_o24_se0.25',
  'r2_k5_s22_e6_i24_o40_se0.25',
  'r3_k3_s22_e6_i40_o80_se0.25',
  'r3_k5_s11_e6_i80_o112_se0.25',
  'r4_k5_s22_e6_i112_o192_se0.25',
  'r1_k3_s11_e6_i192_o320_se0.25',
];

/**
 * The seven stages of EfficientNet-Lite (timm `tf_efficientnet_lite*`, the TF `efficientnet_lite` builder):
 * B0's stages without squeeze-and-excitation.
 */
export const EFFICIENTNET_LITE_BLOCK_STRINGS: readonly string[] = EFFICIENTNET_BLOCK_STRINGS.map((row) => row.replace(/_se[\d.]+$/, ''));

const TOKEN = /^(se|r|k|s|e|i|o)(\d+(?:\.\d+)?)$/;

/**
 * Decodes a block string such as `r1_k3_s11_e1_i32_o16_se0.25` (tokens in any order, `_`-separated;
 * `noskip` disables the identity skip). Throws `InvalidArgumentError` naming `blockString` on an unknown or
 * missing token, or on unequal strides (`s12`).
 */
export function decodeBlockString(blockString: string): BlockDefinition {
  const fail = (problem: string): never => {
    throw new InvalidArgumentError('blockString', `a block string like 'r1_k3_s11_e1_i32_o16_se0.25' (${problem})`, `'${blockString}'`);
  };
  const values = new Map<string, string>();
  let idSkip = true;
  for (const token of blockString.split('_')) {
    if (token === 'noskip') {
      idSkip = false;
      continue;
    }
    const match = TOKEN.exec(token);
    if (!match) return fail(`unknown token '${token}'`);
    if (values.has(match[1])) return fail(`token '${match[1]}' given twice`);
    values.set(match[1], match[2]);
  }
  const integer = (key: string): number => {
    const text = values.get(key);
    if (text === undefined) return fail(`missing '${key}'`);
    const value = Number(text);
    if (!Number.isInteger(value) || value < 1) return fail(`'${key}' must be a positive integer`);
    return value;
  };
  // Strides are written per axis (`s22`); only square strides exist in EfficientNet.
  const strideText = values.get('s') ?? fail("missing 's'");
  const strides = [...strideText].map(Number);
  if (strides.length > 2 || strides.some((s) => !(s >= 1) || s !== strides[0])) return fail('strides must be equal, like s11 or s22');
  // An integer ratio keeps the expanded width an integer, as the checkpoints have it.
  const expandRatio = integer('e');
  const seText = values.get('se');
  const seRatio = seText === undefined ? null : Number(seText);
  // efficientnet-pytorch disables SE unless 0 < ratio <= 1.
  const hasSe = seRatio !== null && seRatio > 0 && seRatio <= 1;
  return {
    repeats: integer('r'),
    kernelSize: integer('k'),
    stride: strides[0],
    expandRatio,
    inputFilters: integer('i'),
    outputFilters: integer('o'),
    seRatio: hasSe ? seRatio : null,
    idSkip,
  };
}

/** The inverse of `decodeBlockString` (canonical token order). */
export function encodeBlockString(definition: BlockDefinition): string {
  const parts = [
    `r${definition.repeats}`,
    `k${definition.kernelSize}`,
    `s${definition.stride}${definition.stride}`,
    `e${definition.expandRatio}`,
    `i${definition.inputFilters}`,
    `o${definition.outputFilters}`,
  ];
  if (definition.seRatio !== null) parts.push(`se${definition.seRatio}`);
  if (!definition.idSkip) parts.push('noskip');
  return parts.join('_');
}
