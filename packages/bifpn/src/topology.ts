/** Where a fusion node reads one of its inputs from. */
export interface FusionInput {
  /** `input`: the layer's input at `level`; `topDown`: the top-down node at `level`; `output`: a finished output. */
  source: 'input' | 'topDown' | 'output';
  level: number;
  /** How the map is brought to the node's resolution: `up` (nearest x2), `down` (max-pool /2) or `none`. */
  resample: 'up' | 'down' | 'none';
}

/** One fusion node of a BiFPN layer: weighted sum of inputs -> swish -> separable conv + BN. */
export interface FusionNode {
  /** Pyramid level this node produces. */
  level: number;
  /** Which pass the node belongs to. */
  pass: 'topDown' | 'bottomUp';
  /** Checkpoint name of the node's separable conv block (`conv6_up`, `conv4_down`, ...). */
  convName: string;
  /** Checkpoint name of its fusion weights (`p6_w1`, `p4_w2`, ...), or null where the official model has none. */
  weightName: string | null;
  inputs: FusionInput[];
}

/**
 * The BiFPN wiring of the official EfficientDet as data, for pyramid levels `minLevel..maxLevel`
 * (3..7, or 3..8 for D7x). Nodes are listed in evaluation order.
 *
 * Top-down, from `maxLevel - 1` down to `minLevel`: `P_L^td = conv(P_L^in, up(P_{L+1}^td))`, where the
 * topmost uses `P_max^in`. The node at `minLevel` is already the output `P_min^out`.
 * Bottom-up, from `minLevel + 1` up to `maxLevel`: `P_L^out = conv(P_L^in', P_L^td, down(P_{L-1}^out))`;
 * the top level has no top-down node and fuses only `P_max^in` and `down(P_{max-1}^out)`.
 */
export function bifpnTopology(minLevel: number, maxLevel: number): FusionNode[] {
  const nodes: FusionNode[] = [];
  for (let level = maxLevel - 1; level >= minLevel; level--) {
    const upper: FusionInput =
      level === maxLevel - 1
        ? { source: 'input', level: maxLevel, resample: 'up' }
        : { source: 'topDown', level: level + 1, resample: 'up' };
    nodes.push({
      level,
      pass: 'topDown',
      convName: `conv${level}_up`,
      // The official model only has learned weights for levels 3..6 in the top-down pass.
      weightName: level <= 6 ? `p${level}_w1` : null,
      inputs: [{ source: 'input', level, resample: 'none' }, upper],
    });
  }
  for (let level = minLevel + 1; level <= maxLevel; level++) {
    const lower: FusionInput = {
      source: level - 1 === minLevel ? 'topDown' : 'output',
      level: level - 1,
      resample: 'down',
    };
    const inputs: FusionInput[] =
      level === maxLevel
        ? [{ source: 'input', level, resample: 'none' }, lower]
        : [{ source: 'input', level, resample: 'none' }, { source: 'topDown', level, resample: 'none' }, lower];
    nodes.push({
      level,
      pass: 'bottomUp',
      convName: `conv${level}_down`,
      weightName: level <= 7 ? `p${level}_w2` : null,
      inputs,
    });
  }
  return nodes;
}

/**
 * The learned fusion weights the official model registers, with their lengths, in checkpoint order. They come
 * from the five-level (P3..P7) wiring whatever the configuration: D7x keeps the same set and ignores it.
 */
export function fusionWeightShapes(): { name: string; length: number }[] {
  const nodes = bifpnTopology(3, 7).filter((node) => node.weightName !== null);
  const ordered = [...nodes.filter((n) => n.pass === 'topDown'), ...nodes.filter((n) => n.pass === 'bottomUp')];
  return ordered.map((node) => ({ name: node.weightName as string, length: node.inputs.length }));
}

/**
 * Node convs in the official registration (checkpoint key) order: conv6_up..conv3_up, conv4_down..conv7_down,
 * then the P8 extras of D7x (conv7_up, conv8_down).
 */
export function convRegistrationOrder(nodes: FusionNode[]): FusionNode[] {
  const isExtra = (node: FusionNode) => node.level > 7 || (node.pass === 'topDown' && node.level === 7);
  return [...nodes.filter((n) => !isExtra(n)), ...nodes.filter(isExtra)];
}
