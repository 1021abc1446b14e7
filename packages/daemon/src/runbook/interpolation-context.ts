/**
 * The values placeholders are filled from: an ordered list of layers (args,
 * pipeline inputs, defaults, item fields, runtime values). The first layer
 * that defines a root name wins; dotted paths then walk into objects and
 * arrays (`{bug.id}`, `{issues.0.title}`).
 */
import type { ArgValue } from './arg-spec.js';
import { didYouMean } from './did-you-mean.js';
import { isTable } from './toml-value.js';

/**
 * The values of a variadic argument. Bare in a shell string they become one
 * quoted word each; everywhere else they are joined with single spaces.
 */
export class WordList {
  constructor(readonly words: readonly string[]) {}
  toJSON(): readonly string[] {
    return this.words;
  }
}

export interface ContextLayer {
  /** Shown in error hints, e.g. "args", "inputs". */
  name: string;
  values: Readonly<Record<string, unknown>>;
}

export class InterpolationError extends Error {
  override readonly name = 'InterpolationError';
  constructor(
    message: string,
    /** The placeholder as written, e.g. `{bug.titel}`; empty for structural problems. */
    readonly placeholder: string,
    readonly hint?: string,
  ) {
    super(hint === undefined ? message : `${message} (${hint})`);
  }
}

export type LookupResult = { ok: true; value: unknown } | { ok: false; message: string; hint?: string };

function keysOf(value: unknown): string[] {
  if (Array.isArray(value)) return value.map((_, i) => String(i));
  if (value instanceof WordList) return value.words.map((_, i) => String(i));
  if (isTable(value)) return Object.keys(value);
  return [];
}

function child(value: unknown, segment: string): { found: boolean; value?: unknown } {
  if (value instanceof WordList) {
    const index = Number(segment);
    return Number.isInteger(index) && index < value.words.length ? { found: true, value: value.words[index] } : { found: false };
  }
  if (Array.isArray(value)) {
    const index = Number(segment);
    return /^\d+$/.test(segment) && index < value.length ? { found: true, value: value[index] } : { found: false };
  }
  if (isTable(value) && Object.hasOwn(value, segment)) return { found: true, value: value[segment] };
  return { found: false };
}

export class InterpolationContext {
  constructor(readonly layers: readonly ContextLayer[]) {}

  /** A new context whose `layer` takes precedence over this one's layers. */
  with(layer: ContextLayer): InterpolationContext {
    return new InterpolationContext([layer, ...this.layers]);
  }

  /** A new context where this one's layers come first and `layer` last. */
  withFallback(layer: ContextLayer): InterpolationContext {
    return new InterpolationContext([...this.layers, layer]);
  }

  /** Every root name, first-wins order. */
  names(): string[] {
    const seen = new Set<string>();
    for (const layer of this.layers) for (const key of Object.keys(layer.values)) seen.add(key);
    return [...seen];
  }

  has(name: string): boolean {
    return this.definedIn(name) !== undefined;
  }

  /** The name of the first layer defining `name`, or undefined. */
  definedIn(name: string): string | undefined {
    return this.layers.find((layer) => Object.hasOwn(layer.values, name) && layer.values[name] !== undefined)?.name;
  }

  lookup(segments: readonly string[]): LookupResult {
    const [root, ...rest] = segments;
    if (root === undefined) return { ok: false, message: 'empty placeholder' };
    const layer = this.layers.find((l) => Object.hasOwn(l.values, root) && l.values[root] !== undefined);
    if (layer === undefined) {
      const names = this.names();
      const suggestion = didYouMean(root, names);
      return {
        ok: false,
        message: `unknown placeholder {${segments.join('.')}}`,
        hint: suggestion ?? (names.length === 0 ? 'no values are defined here' : `known names: ${names.sort().join(', ')}`),
      };
    }
    let value: unknown = layer.values[root];
    for (let i = 0; i < rest.length; i++) {
      const segment = rest[i]!;
      const next = child(value, segment);
      const walked = [root, ...rest.slice(0, i)].join('.');
      if (!next.found || next.value === undefined) {
        const keys = keysOf(value);
        const fallback =
          keys.length === 0 ? `"${walked}" is ${describe(value)}, not an object` : `fields of ${walked}: ${keys.slice(0, 20).join(', ')}`;
        const hint = didYouMean(segment, keys) ?? fallback;
        return { ok: false, message: `unknown placeholder {${segments.join('.')}}: "${walked}" has no field "${segment}"`, hint };
      }
      value = next.value;
    }
    return { ok: true, value };
  }

  /** Lookup that throws InterpolationError. */
  require(segments: readonly string[]): unknown {
    const result = this.lookup(segments);
    if (!result.ok) throw new InterpolationError(result.message, `{${segments.join('.')}}`, result.hint);
    return result.value;
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return 'a string';
  return typeof value;
}

/** A context from plain layers; arrays of strings under `args` become WordLists. */
export function createContext(...layers: ContextLayer[]): InterpolationContext {
  return new InterpolationContext(layers);
}

/** The layer for a command's bound arguments: variadic values become WordLists. */
export function argsLayer(values: Readonly<Record<string, ArgValue>>): ContextLayer {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(values)) out[key] = Array.isArray(value) ? new WordList(value) : value;
  return { name: 'args', values: out };
}

export interface PipelineContextParts {
  /** Bound command arguments (`oj run`), if the pipeline was started by a command. */
  args?: Readonly<Record<string, ArgValue>>;
  /** Pipeline inputs (for a worker: the queue item, see bindItemToInputs). */
  inputs?: Readonly<Record<string, unknown>>;
  /** Pipeline defaults, already resolved with resolveDefaults. */
  defaults?: Readonly<Record<string, string>>;
  /** Fields of the current item (monitor source item), at top level. */
  item?: Readonly<Record<string, unknown>>;
  /** Values the engine provides: workspace, branch, phase, pipeline, error, checkpoint, project_root... */
  runtime?: Readonly<Record<string, unknown>>;
}

/**
 * The documented precedence: args, then inputs, then defaults, then item
 * fields, then runtime values. A name defined by the runbook author (argument,
 * input, default) therefore shadows an engine value of the same name.
 */
export function pipelineContext(parts: PipelineContextParts): InterpolationContext {
  const layers: ContextLayer[] = [];
  if (parts.args) layers.push(argsLayer(parts.args));
  if (parts.inputs) layers.push({ name: 'inputs', values: parts.inputs });
  if (parts.defaults) layers.push({ name: 'defaults', values: parts.defaults });
  if (parts.item) layers.push({ name: 'item', values: parts.item });
  if (parts.runtime) layers.push({ name: 'runtime', values: parts.runtime });
  return new InterpolationContext(layers);
}

/**
 * How a worker hands a queue item to its handler pipeline: with exactly one
 * input, the whole item is that input (`inputs = ["bug"]` -> `{bug.title}`);
 * otherwise each input takes the item field of the same name (missing fields
 * are left out, so pipeline defaults or an unknown-placeholder error apply).
 */
export function bindItemToInputs(inputs: readonly string[], item: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const [only] = inputs;
  if (inputs.length === 1 && only !== undefined) return { [only]: item };
  const out: Record<string, unknown> = {};
  for (const name of inputs) if (Object.hasOwn(item, name)) out[name] = item[name];
  return out;
}
