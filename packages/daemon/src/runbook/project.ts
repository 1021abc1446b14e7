/**
 * A loaded, valid project: lookups by name (with the same resolution rule as
 * references in runbooks) and by qualified id. Only `loadProject` and friends
 * create one, so every reference in it is resolved.
 */
import type { ProjectModel } from './assemble-project.js';
import type { Kind } from './kinds.js';
import type {
  Action,
  Agent,
  Command,
  Cron,
  Guard,
  Hooks,
  Lock,
  Monitor,
  Pipeline,
  Primitive,
  PrimitiveByKind,
  Queue,
  Ref,
  RunbookFile,
  Semaphore,
  Strategy,
  Worker,
} from './model.js';
import { PrimitiveIndex } from './primitive-index.js';
import type { ProjectConfig } from './project-config.js';
import { resolveReference, type ResolutionFailure } from './reference.js';
import { listPrimitives, type PrimitiveSummary } from './show.js';

export type LookupResult<T> = { ok: true; value: T } | { ok: false; reason: ResolutionFailure; message: string; hint?: string };

/** Thrown by the convenience lookups when a name is ambiguous or malformed. */
export class LookupError extends Error {
  override readonly name = 'LookupError';
  constructor(
    message: string,
    readonly reason: 'ambiguous' | 'invalid',
    readonly hint?: string,
  ) {
    super(message);
  }
}

export class Project {
  private readonly index = new PrimitiveIndex();
  private readonly byId = new Map<string, Primitive>();

  constructor(readonly model: ProjectModel) {
    for (const file of model.files) this.index.addFile(file.name);
    for (const primitive of model.primitives) {
      this.index.add(primitive.kind, primitive.name, primitive.file);
      this.byId.set(primitive.id, primitive);
    }
  }

  get root(): string {
    return this.model.root;
  }

  get config(): ProjectConfig {
    return this.model.config;
  }

  get files(): readonly RunbookFile[] {
    return this.model.files;
  }

  /** Every primitive by file and kind, for `oj runbook list`. */
  list(): PrimitiveSummary[] {
    return listPrimitives(this);
  }

  /** Every primitive of one kind, in file order. */
  all<K extends Kind>(kind: K): Array<PrimitiveByKind[K]> {
    return this.model.primitives.filter((p): p is PrimitiveByKind[K] => p.kind === kind);
  }

  /** By qualified id (`bugfix.pipeline.fix`). */
  get(id: string): Primitive | undefined {
    return this.byId.get(id);
  }

  /** The primitive a resolved reference points to. */
  deref<K extends Kind>(kind: K, ref: Ref): PrimitiveByKind[K] {
    const primitive = this.byId.get(ref.id);
    if (primitive === undefined || primitive.kind !== kind) {
      throw new Error(`internal: reference "${ref.ref}" (${ref.id}) does not name a ${kind}`);
    }
    return primitive as PrimitiveByKind[K];
  }

  /**
   * Look a primitive up by a name as a runbook would write it (`fix`,
   * `pipeline.fix`, `bugfix.fix`, `bugfix.pipeline.fix`), seen from runbook
   * `fromFile` (own file first) or from nowhere (the whole project).
   */
  lookup<K extends Kind>(kind: K, name: string, fromFile: string | null = null): LookupResult<PrimitiveByKind[K]> {
    const resolved = resolveReference(this.index, name, kind, fromFile);
    if (!resolved.ok) return resolved;
    return { ok: true, value: this.byId.get(resolved.id) as PrimitiveByKind[K] };
  }

  /** Like lookup, but undefined when not found; throws LookupError when ambiguous or malformed. */
  find<K extends Kind>(kind: K, name: string, fromFile: string | null = null): PrimitiveByKind[K] | undefined {
    const result = this.lookup(kind, name, fromFile);
    if (result.ok) return result.value;
    if (result.reason === 'not_found') return undefined;
    throw new LookupError(result.message, result.reason, result.hint);
  }

  command(name: string): Command | undefined {
    return this.find('command', name);
  }
  worker(name: string): Worker | undefined {
    return this.find('worker', name);
  }
  cron(name: string): Cron | undefined {
    return this.find('cron', name);
  }
  queue(name: string, fromFile: string | null = null): Queue | undefined {
    return this.find('queue', name, fromFile);
  }
  pipeline(name: string, fromFile: string | null = null): Pipeline | undefined {
    return this.find('pipeline', name, fromFile);
  }
  agent(name: string, fromFile: string | null = null): Agent | undefined {
    return this.find('agent', name, fromFile);
  }
  guard(name: string, fromFile: string | null = null): Guard | undefined {
    return this.find('guard', name, fromFile);
  }
  strategy(name: string, fromFile: string | null = null): Strategy | undefined {
    return this.find('strategy', name, fromFile);
  }
  lock(name: string, fromFile: string | null = null): Lock | undefined {
    return this.find('lock', name, fromFile);
  }
  semaphore(name: string, fromFile: string | null = null): Semaphore | undefined {
    return this.find('semaphore', name, fromFile);
  }
  monitor(name: string, fromFile: string | null = null): Monitor | undefined {
    return this.find('monitor', name, fromFile);
  }
  action(name: string, fromFile: string | null = null): Action | undefined {
    return this.find('action', name, fromFile);
  }

  /**
   * The hook commands for `on_<event>` of a pipeline, worker or cron: its own
   * hook first, then the file-level `[events]` hook of its runbook.
   */
  hooks(primitive: Pipeline | Worker | Cron, hook: string): string[] {
    const own: Hooks = primitive.events;
    const fileHooks = this.model.files.find((f) => f.name === primitive.file)?.events ?? {};
    return [own[hook], fileHooks[hook]].filter((c): c is string => c !== undefined);
  }

  /** The whole model as JSON data. */
  toJSON(): ProjectModel {
    return this.model;
  }
}
