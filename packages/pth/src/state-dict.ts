import { PthError } from './errors.js';
import { describe, isTensor } from './pickle.js';
import { OpaqueObject, type PickleValue, PickleTuple, type TensorReference } from './pickle-values.js';

/** Deeper than any checkpoint: a pickle nested further (or a cycle through containers) is refused. */
export const MAX_STATE_NESTING = 100;

/** The keys a training checkpoint keeps its model weights under, in the order they are looked for. */
const MODEL_KEYS = ['state_dict', 'model', 'model_state_dict', 'net'];
const EMA_KEYS = ['state_dict_ema', 'model_ema', 'ema'];

/** Prefixes that wrappers add to every key: `nn.DataParallel` (`module.`), effdet's `DetBench*` (`model.`). */
const WRAPPER_PREFIXES = ['module.', 'model.'];

/**
 * Picks the model's weights out of what `torch.save` saved: a bare state dict, or a training checkpoint's
 * `state_dict` (`state_dict_ema` when `ema`), or its `model`. Nested dicts are flattened with `.`; values that
 * are not tensors (`_metadata`, counters) are skipped; a `module.` / `model.` prefix that every key carries is
 * removed. A root that is none of these (an opaque object) yields every tensor found inside it.
 * @throws PthError when no tensor is found, `ema` is asked for and the checkpoint has none, or nesting is too deep
 */
export function selectStateDict(root: PickleValue, options: { ema: boolean; source: string }): Map<string, TensorReference> {
  const { source } = options;
  let chosen: PickleValue = root;
  if (root instanceof Map) {
    const holdsTensors = (key: string): boolean => root.has(key) && findTensors(root.get(key) ?? null, source).size > 0;
    const keys = options.ema ? EMA_KEYS : MODEL_KEYS;
    const key = keys.find(holdsTensors);
    if (key !== undefined) chosen = root.get(key) ?? null;
    else if (options.ema) {
      throw new PthError(source, `the ema option asks for the EMA weights, but the checkpoint has no ${EMA_KEYS.join(' / ')} (its keys: ${[...root.keys()].map(String).join(', ')})`);
    }
  } else if (options.ema) {
    throw new PthError(source, `the ema option asks for the EMA weights, but the checkpoint is a ${describe(root)}, not a training checkpoint`);
  }
  const tensors = findTensors(chosen, source);
  if (tensors.size === 0) throw new PthError(source, `holds no tensors (it pickles a ${describe(root)})`);
  return stripWrapperPrefixes(tensors);
}

/**
 * Every tensor inside a value, named by its path (dict keys and list indices joined with `.`), in pickle
 * order; inert objects are searched through their arguments, state and items.
 */
export function findTensors(value: PickleValue, source: string): Map<string, TensorReference> {
  const found = new Map<string, TensorReference>();
  const visiting = new Set<PickleValue>();
  const visit = (node: PickleValue, path: string, depth: number): void => {
    if (isTensor(node)) {
      if (!found.has(path)) found.set(path, node);
      return;
    }
    if (node === null || typeof node !== 'object' || node instanceof Uint8Array) return;
    if (depth > MAX_STATE_NESTING) throw new PthError(source, `the checkpoint nests deeper than ${MAX_STATE_NESTING} levels`);
    if (visiting.has(node)) return; // a cycle through the memo
    visiting.add(node);
    const join = (key: string): string => (path === '' ? key : `${path}.${key}`);
    if (node instanceof Map) {
      for (const [key, child] of node) if (typeof key === 'string' || typeof key === 'number') visit(child, join(String(key)), depth + 1);
    } else if (Array.isArray(node) || node instanceof PickleTuple) {
      const items = Array.isArray(node) ? node : node.items;
      items.forEach((child, index) => visit(child, join(String(index)), depth + 1));
    } else if (node instanceof Set) {
      [...node].forEach((child, index) => visit(child, join(String(index)), depth + 1));
    } else if (node instanceof OpaqueObject) {
      visit(node.args, path, depth + 1);
      visit(node.state, path, depth + 1);
      node.items.forEach((child, index) => visit(child, join(String(index)), depth + 1));
    }
    visiting.delete(node);
  };
  visit(value, '', 0);
  return found;
}

function stripWrapperPrefixes(tensors: Map<string, TensorReference>): Map<string, TensorReference> {
  let current = tensors;
  for (;;) {
    const names = [...current.keys()];
    const prefix = WRAPPER_PREFIXES.find((candidate) => names.every((name) => name.startsWith(candidate)));
    if (prefix === undefined) return current;
    current = new Map([...current].map(([name, tensor]) => [name.slice(prefix.length), tensor]));
  }
}
