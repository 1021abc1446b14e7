/**
 * State shared by the per-kind parsers of one runbook file: where errors go,
 * the references and chain steps to resolve once every file is parsed, and
 * readers for the field shapes that recur across kinds (references, chains,
 * shell strings, event hooks, event patterns, run targets).
 */
import { didYouMean } from './did-you-mean.js';
import { qualifiedId, type Kind } from './kinds.js';
import type { Chain, ChainStep, Hooks, PrimitiveBase, Ref, RunTarget } from './model.js';
import type { ProjectConfig } from './project-config.js';
import { parseChainStep } from './parse-chain-step.js';
import type { RecoveryContext } from '../core/recovery/index.js';
import { parseReference } from './reference.js';
import type { ErrorLocation, ErrorSink } from './runbook-error.js';
import { checkShellTemplate } from './shell-interpolate.js';
import { suspiciousRedirects } from './shell-redirects.js';
import { TableReader } from './table-reader.js';
import { describeValue, isTable, type TomlTable } from './toml-value.js';
import { textPlaceholders } from './placeholder.js';

export interface PendingRef {
  ref: Ref;
  kind: Kind;
  location: ErrorLocation;
}

export interface PendingStep {
  step: ChainStep;
  /** Where the chain runs: which actions it may name (checked once the step is resolved). */
  context: RecoveryContext;
  /** The name part as written, possibly qualified (`watchdog.nudge`). */
  reference: string;
  location: ErrorLocation;
  /** True for a chain the runbook did not write (a documented default). */
  implicit: boolean;
  /** For `on_fail`: phase names, offered as suggestions when the action is unknown. */
  phases: readonly string[];
}

/** Hook names the engine emits; used only for did-you-mean suggestions. */
export const KNOWN_HOOKS = [
  'on_start',
  'on_phase_change',
  'on_phase',
  'on_complete',
  'on_fail',
  'on_cancel',
  'on_escalate',
  'on_wait',
  'on_resume',
  'on_stop',
  'on_wake',
  'on_idle',
  'on_item',
  'on_run',
  'on_match',
] as const;

const HOOK_NAME = /^on_[a-z0-9_]+$/;
const EVENT_PATTERN = /^[A-Za-z0-9_.:*{}-]+$/;

export class ParseContext {
  readonly refs: PendingRef[] = [];
  readonly steps: PendingStep[] = [];

  constructor(
    /** The runbook name (file name without .toml). */
    readonly file: string,
    /** The file path shown in errors. */
    readonly display: string,
    readonly sink: ErrorSink,
    readonly config: ProjectConfig,
  ) {}

  base<K extends Kind>(kind: K, name: string): PrimitiveBase<K> {
    return { kind, name, file: this.file, id: qualifiedId(this.file, kind, name) };
  }

  location(kind: Kind | 'events', name?: string, at?: string): ErrorLocation {
    const location: ErrorLocation = { file: this.display, kind };
    if (name !== undefined) location.name = name;
    if (at !== undefined) location.at = at;
    return location;
  }

  open(table: TomlTable, location: ErrorLocation, fields: readonly string[], what: string): TableReader {
    return TableReader.open(table, location, this.sink, fields, what);
  }

  /** Register a reference for resolution; syntax errors are reported now. */
  refText(text: string, kind: Kind, location: ErrorLocation): Ref {
    const ref: Ref = { ref: text, id: '' };
    const syntax = parseReference(text);
    if (!syntax.ok) this.sink.add(location, syntax.message, syntax.hint);
    else this.refs.push({ ref, kind, location });
    return ref;
  }

  ref(reader: TableReader, key: string, kind: Kind, options?: { required?: boolean }): Ref | null {
    const text = reader.string(key, options);
    return text === undefined ? null : this.refText(text, kind, reader.at(key));
  }

  /** A string or an array of strings, each a reference. */
  refList(reader: TableReader, key: string, kind: Kind): Ref[] {
    const texts = reader.stringList(key, { single: true }) ?? [];
    const isArray = Array.isArray(reader.raw(key));
    return texts.map((text, index) => this.refText(text, kind, reader.at(isArray ? `${key}[${index}]` : key)));
  }

  /** A chain from a string or an array of strings; `fallback` when the field is absent. */
  chain(reader: TableReader, key: string, context: RecoveryContext, fallback: readonly string[]): Chain {
    const value = reader.raw(key);
    if (value === undefined) return this.chainFrom([...fallback], context, reader.at(key), true);
    const chain = this.chainValue(value, context, reader.at(key));
    return chain ?? [];
  }

  /** A chain from a raw TOML value, or undefined (error recorded) if it is not one. */
  chainValue(value: unknown, context: RecoveryContext, location: ErrorLocation, phases: readonly string[] = []): Chain | undefined {
    if (typeof value === 'string') return this.chainFrom([value], context, location, false, phases);
    if (Array.isArray(value) && value.every((v): v is string => typeof v === 'string')) {
      return this.chainFrom(value, context, location, false);
    }
    const hint = 'e.g. "escalate" or ["nudge", "restart:2", "escalate"]';
    this.sink.add(location, `expected an action or an array of actions, got ${describeValue(value)}`, hint);
    return undefined;
  }

  private chainFrom(texts: string[], context: RecoveryContext, location: ErrorLocation, implicit: boolean, phases: readonly string[] = []): Chain {
    const chain: Chain = [];
    for (const text of texts) {
      const parsed = parseChainStep(text);
      if (!parsed.ok) {
        this.sink.add(location, parsed.message, parsed.hint);
        continue;
      }
      chain.push(parsed.step);
      this.steps.push({ step: parsed.step, context, reference: parsed.reference, location, implicit, phases });
    }
    return chain;
  }

  /**
   * Report a structural problem of a shell string (placeholder in backticks, open quote...),
   * and output redirected to a file named like a duration or number (`> 5m`: a comparison meant).
   */
  checkShell(text: string, location: ErrorLocation): void {
    const check = checkShellTemplate(text);
    if (!check.ok) {
      this.sink.add(location, check.message, check.hint);
      return;
    }
    for (const problem of suspiciousRedirects(check.redirects)) this.sink.add(location, problem.message, problem.hint);
  }

  /** A shell command string, structure-checked. */
  shell(reader: TableReader, key: string, options?: { required?: boolean }): string | undefined {
    const text = reader.string(key, { ...options, nonEmpty: true });
    if (text !== undefined) this.checkShell(text, reader.at(key));
    return text;
  }

  /**
   * Report placeholders of a template whose root is not among `known`.
   * `shell` selects the shell scanner (which skips comments) over plain text.
   */
  checkPlaceholders(text: string, shell: boolean, known: readonly string[], location: ErrorLocation, knownLabel: string): void {
    const check = shell ? checkShellTemplate(text) : { ok: true as const, placeholders: textPlaceholders(text) };
    if (!check.ok) return;
    for (const placeholder of check.placeholders) {
      const root = placeholder.segments[0] ?? '';
      if (known.includes(root)) continue;
      this.sink.add(
        location,
        `unknown placeholder {${placeholder.path}}`,
        didYouMean(root, known) ?? `${knownLabel}: ${[...new Set(known)].join(', ') || '(none)'}`,
      );
    }
  }

  /** `[x.events]`-style hooks: `on_*` keys with shell strings. */
  hooks(table: unknown, location: ErrorLocation, prefix: string): Hooks {
    const hooks: Hooks = {};
    if (table === undefined) return hooks;
    if (!isTable(table)) {
      this.sink.add(location, `expected a table of on_<event> hooks, got ${describeValue(table)}`);
      return hooks;
    }
    for (const [key, value] of Object.entries(table)) {
      const at: ErrorLocation = { ...location, field: `${prefix}${key}` };
      if (!HOOK_NAME.test(key)) {
        const prefixed = `on_${key}`;
        const hint = (KNOWN_HOOKS as readonly string[]).includes(prefixed)
          ? `did you mean "${prefixed}"?`
          : (didYouMean(key, KNOWN_HOOKS) ?? 'hooks are named on_<event>, e.g. on_complete');
        this.sink.add(at, `"${key}" is not an event hook`, hint);
        continue;
      }
      if (typeof value !== 'string' || value.trim() === '') {
        this.sink.add(at, `expected a shell command, got ${describeValue(value)}`);
        continue;
      }
      this.checkShell(value, at);
      hooks[key] = value;
    }
    return hooks;
  }

  /** Event patterns for wake_on: `bug:created`, `pipeline:{after}:merged`, `worker:*`. */
  eventPatterns(reader: TableReader, key: string): string[] {
    const patterns = reader.stringList(key, { single: true }) ?? [];
    patterns.forEach((pattern, index) => {
      if (!EVENT_PATTERN.test(pattern)) {
        const hint = 'patterns look like "bug:created" or "pipeline:{after}:merged"';
        reader.error(`${key}[${index}]`, `"${pattern}" is not an event pattern`, hint);
      }
    });
    return patterns;
  }

  /**
   * A command's or cron's `run`: a shell string or `{ pipeline = "name" }`.
   */
  runTarget(reader: TableReader, key: string, options: { required: boolean }): RunTarget | null {
    const value = reader.raw(key);
    if (value === undefined) {
      if (options.required) reader.error(key, 'missing required field (a shell command or { pipeline = "name" })');
      return null;
    }
    if (typeof value === 'string') {
      const shell = this.shell(reader, key);
      return shell === undefined ? null : { type: 'shell', shell };
    }
    if (isTable(value)) {
      const inner = TableReader.open(value, reader.location, this.sink, ['pipeline'], `"${key}"`, `${key}.`);
      const pipeline = this.ref(inner, 'pipeline', 'pipeline', { required: true });
      return pipeline === null ? null : { type: 'pipeline', pipeline };
    }
    reader.error(key, `expected a shell command or { pipeline = "name" }, got ${describeValue(value)}`);
    return null;
  }
}
