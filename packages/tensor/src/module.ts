import * as tf from '@tensorflow/tfjs-core';

import { InvalidArgumentError, StateDictError, formatShape } from './errors.js';
import { checkOptionalBoolean, checkOptionsObject, describeValue } from './check-options.js';
import { type ParameterLayout, checkpointShape, toCheckpointLayout, toTfjsLayout } from './layout.js';

/** A named tensor owned by a module: a trainable parameter or a buffer such as a running mean. */
export interface ModuleEntry {
  /** Dotted path from the module `namedEntries` was called on, e.g. `bifpn.0.conv6_up.bn.weight`. */
  name: string;
  variable: tf.Variable;
  layout: ParameterLayout;
  trainable: boolean;
}

/** Checkpoint tensors keyed by name, in checkpoint (PyTorch) layout. */
export type StateDict = Record<string, tf.Tensor>;

/** What `loadStateDict` skipped when `strict` is false. */
export interface LoadStateDictResult {
  missingKeys: string[];
  unexpectedKeys: string[];
}

/**
 * Base of every layer and network: named parameters, buffers and children, like `torch.nn.Module`.
 *
 * Names are checkpoint keys: a parameter `weight` of child `conv` of child `_conv_stem` is
 * `_conv_stem.conv.weight` in `stateDict()`. Parameters are stored in tfjs layout and converted to the
 * checkpoint layout (see `layout.ts`) only at the `stateDict` / `loadStateDict` boundary.
 *
 * Ownership: a module owns its variables; `dispose()` frees them and those of its children.
 */
export class Module {
  /** True in training mode (batch statistics, drop-connect), false in inference mode. */
  training = false;
  private readonly ownEntries = new Map<string, { variable: tf.Variable; layout: ParameterLayout; trainable: boolean }>();
  private readonly childModules = new Map<string, Module>();

  /** Registers a trainable parameter. The module takes ownership of `value`. */
  protected addParameter(name: string, value: tf.Tensor, layout: ParameterLayout = 'plain'): tf.Variable {
    return this.addEntry(name, value, layout, true);
  }

  /** Registers a non-trainable buffer (running statistics). The module takes ownership of `value`. */
  protected addBuffer(name: string, value: tf.Tensor): tf.Variable {
    return this.addEntry(name, value, 'plain', false);
  }

  /** Registers a child module under `name`; returns it for convenient assignment. */
  protected addModule<M extends Module>(name: string, module: M): M {
    if (this.childModules.has(name) || this.ownEntries.has(name)) throw new Error(`duplicate module entry '${name}'`);
    this.childModules.set(name, module);
    return module;
  }

  private addEntry(name: string, value: tf.Tensor, layout: ParameterLayout, trainable: boolean): tf.Variable {
    if (this.childModules.has(name) || this.ownEntries.has(name)) throw new Error(`duplicate module entry '${name}'`);
    const variable = tf.variable(value, trainable);
    value.dispose();
    this.ownEntries.set(name, { variable, layout, trainable });
    return variable;
  }

  /** Direct children, in registration order. */
  children(): [string, Module][] {
    return [...this.childModules.entries()];
  }

  /** The child module at a dotted path (`_blocks.3`), or throws naming the path. */
  getModule(path: string): Module {
    let module: Module = this;
    for (const part of path.split('.')) {
      const next = module.childModules.get(part);
      if (!next) throw new Error(`no module at '${path}' (stopped at '${part}')`);
      module = next;
    }
    return module;
  }

  /** Every parameter and buffer of this module and its children, depth first in registration order. */
  namedEntries(prefix = ''): ModuleEntry[] {
    const entries: ModuleEntry[] = [];
    for (const [name, entry] of this.ownEntries) entries.push({ name: prefix + name, ...entry });
    for (const [name, child] of this.childModules) entries.push(...child.namedEntries(`${prefix}${name}.`));
    return entries;
  }

  /** Trainable variables keyed by name, for optimizers. The module keeps ownership. */
  namedParameters(): Map<string, tf.Variable> {
    return new Map(this.namedEntries().filter((e) => e.trainable).map((e) => [e.name, e.variable]));
  }

  /** Number of trainable scalars (what papers call the parameter count). */
  parameterCount(): number {
    return this.namedEntries()
      .filter((e) => e.trainable)
      .reduce((total, e) => total + e.variable.size, 0);
  }

  /**
   * Snapshot of every parameter and buffer in checkpoint layout, keyed by dotted name.
   * The caller owns the returned tensors and disposes them (e.g. `tf.dispose(Object.values(state))`).
   */
  stateDict(): StateDict {
    const state: StateDict = {};
    for (const entry of this.namedEntries()) state[entry.name] = toCheckpointLayout(entry.layout, entry.variable);
    return state;
  }

  /**
   * Loads tensors in checkpoint layout. All keys, shapes and dtypes are checked before anything is written,
   * so a failed load leaves the module exactly as it was. With `strict` (the default) missing and unexpected
   * keys are errors; otherwise they are skipped and reported. The caller keeps ownership of `state`.
   * @param state tensors by key: a plain object (a `Map` is refused, not read as empty)
   * @throws InvalidArgumentError when `state` is not an object of live tensors or `strict` not a boolean
   */
  loadStateDict(state: StateDict, options: { strict?: boolean } = {}): LoadStateDictResult {
    checkStateDict(state);
    checkOptionalBoolean(checkOptionsObject(options).strict, 'options.strict');
    const strict = options.strict ?? true;
    const entries = this.namedEntries();
    const expectedNames = new Set(entries.map((e) => e.name));
    const missingKeys: string[] = [];
    const mismatches: string[] = [];
    for (const entry of entries) {
      const value = state[entry.name];
      if (value === undefined) {
        missingKeys.push(entry.name);
        continue;
      }
      const expected = checkpointShape(entry.layout, entry.variable.shape);
      if (!tf.util.arraysEqual(expected, value.shape)) {
        mismatches.push(`${entry.name}: expected shape ${formatShape(expected)}, got ${formatShape(value.shape)}`);
      } else if (value.dtype !== 'float32' && value.dtype !== 'int32') {
        mismatches.push(`${entry.name}: expected a float tensor, got dtype ${value.dtype}`);
      }
    }
    const unexpectedKeys = Object.keys(state).filter((key) => !expectedNames.has(key));
    const problems = [...mismatches];
    if (strict && missingKeys.length > 0) problems.push(`missing keys (${missingKeys.length}): ${preview(missingKeys)}`);
    if (strict && unexpectedKeys.length > 0) {
      problems.push(`unexpected keys (${unexpectedKeys.length}): ${preview(unexpectedKeys)}`);
    }
    if (problems.length > 0) {
      throw new StateDictError(
        `state dict does not fit ${this.constructor.name}; nothing was loaded.\n  ${problems.join('\n  ')}`,
        missingKeys,
        unexpectedKeys,
        mismatches,
      );
    }
    // Build every converted tensor first, then assign: assignment itself cannot fail half way.
    const converted = entries
      .filter((entry) => state[entry.name] !== undefined)
      .map((entry) => {
        const value = state[entry.name];
        const asFloat = value.dtype === 'float32' ? value : tf.cast(value, 'float32');
        const tensor = toTfjsLayout(entry.layout, asFloat);
        if (asFloat !== value) asFloat.dispose();
        return { entry, tensor };
      });
    for (const { entry, tensor } of converted) {
      entry.variable.assign(tensor);
      tensor.dispose();
    }
    return { missingKeys, unexpectedKeys };
  }

  /** Switches this module and every child to training (`true`) or inference (`false`) mode. */
  train(on = true): this {
    this.training = on;
    for (const child of this.childModules.values()) child.train(on);
    return this;
  }

  /** Same as `train(false)`. */
  eval(): this {
    return this.train(false);
  }

  /**
   * Tensors this module and its children hold beyond their variables: caches of inference passes (the
   * folded batch norms of `BatchNorm2d.forwardConv`), built by the first inference pass after construction,
   * a weight change or `train()`, and freed by `train()` and `dispose()`. Memory checks count them.
   */
  cachedTensorCount(): number {
    let count = this.ownCachedTensorCount();
    for (const child of this.childModules.values()) count += child.cachedTensorCount();
    return count;
  }

  /** This module's own share of `cachedTensorCount` (none here; layers with caches override it). */
  protected ownCachedTensorCount(): number {
    return 0;
  }

  /** Frees every variable of this module and its children. The module must not be used afterwards. */
  dispose(): void {
    for (const entry of this.ownEntries.values()) entry.variable.dispose();
    for (const child of this.childModules.values()) child.dispose();
  }
}

/** An ordered list of modules whose names are their indices, like `torch.nn.ModuleList`. */
export class ModuleList<M extends Module = Module> extends Module {
  readonly items: M[] = [];

  constructor(items: Iterable<M> = []) {
    super();
    for (const item of items) this.push(item);
  }

  push(item: M): void {
    this.addModule(String(this.items.length), item);
    this.items.push(item);
  }

  get length(): number {
    return this.items.length;
  }

  at(index: number): M {
    const item = this.items[index];
    if (item === undefined) throw new RangeError(`index ${index} out of range for a list of ${this.items.length}`);
    return item;
  }
}

function preview(keys: string[]): string {
  return keys.length <= 8 ? keys.join(', ') : `${keys.slice(0, 8).join(', ')}, ...`;
}

// A state dict is a plain object of live tensors; anything else would fail deep inside with a TypeError.
function checkStateDict(state: unknown): void {
  if (state === null || typeof state !== 'object' || Array.isArray(state) || state instanceof Map || ArrayBuffer.isView(state)) {
    throw new InvalidArgumentError('state', 'an object of tensors by key (a state dict)', describeValue(state));
  }
  for (const [key, value] of Object.entries(state)) {
    if (!(value instanceof tf.Tensor)) throw new InvalidArgumentError(`state['${key}']`, 'a tf.Tensor', describeValue(value));
    if (value.isDisposed) throw new InvalidArgumentError(`state['${key}']`, 'a live tensor', 'a disposed tensor');
  }
}
