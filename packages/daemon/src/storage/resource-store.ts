/**
 * Holds and waiters of locks and semaphores. Plain row access: the rules
 * (first come first served, weights, staleness) live in the grant machine
 * (core/coordination); its shell (coordination/grant-rows.ts) calls these
 * inside its write transactions.
 */
import type { Selectable, SelectQueryBuilder } from 'kysely';
import type { Hold, HoldChange, HolderKind, ResourceKind, Waiter } from '../core/coordination/index.js';
import type { OpenedDatabase } from './database.js';
import type { Database } from './schema.js';

export type { HolderKind, ResourceKind };

export interface ResourceKey {
  kind: ResourceKind;
  project: string;
  /** Qualified id of the lock or semaphore. */
  resource: string;
}

/** A hold as stored: the grant machine's `Hold`, with its row id and resource. */
export interface HoldRow extends Hold, ResourceKey {
  id: number;
}

/** A place in line as stored: the grant machine's `Waiter`, with its row id and resource. */
export interface WaiterRow extends Waiter, ResourceKey {
  id: number;
}

export interface NewHold {
  holder: string;
  holderKind: HolderKind;
  weight: number;
  phase: string | null;
  heartbeatMs: number;
  timeoutMs: number | null;
}

export class ResourceStore {
  constructor(private readonly store: OpenedDatabase) {}

  private get db() {
    return this.store.db;
  }
  private get runner() {
    return this.store.runner;
  }

  /** Rows of one resource in either table. */
  private of<T extends 'resource_holds' | 'resource_waiters'>(table: T, k: ResourceKey) {
    return this.db
      .selectFrom(table as 'resource_holds' | 'resource_waiters')
      .selectAll()
      .where('kind', '=', k.kind)
      .where('project', '=', k.project)
      .where('resource', '=', k.resource) as unknown as SelectQueryBuilder<Database, T, Selectable<Database[T]>>;
  }

  holds(k: ResourceKey): HoldRow[] {
    return this.runner.all(this.of('resource_holds', k).orderBy('id')).map(holdRow);
  }

  hold(k: ResourceKey, holder: string): HoldRow | undefined {
    const row = this.runner.first(this.of('resource_holds', k).where('holder', '=', holder));
    return row ? holdRow(row) : undefined;
  }

  /** Every hold (optionally of one kind/project), oldest first. */
  allHolds(filter: { kind?: ResourceKind; project?: string | undefined } = {}): HoldRow[] {
    let q = this.db.selectFrom('resource_holds').selectAll();
    if (filter.kind) q = q.where('kind', '=', filter.kind);
    if (filter.project) q = q.where('project', '=', filter.project);
    return this.runner.all(q.orderBy('id')).map(holdRow);
  }

  insertHold(k: ResourceKey, h: NewHold, now: number): void {
    this.runner.run(
      this.db.insertInto('resource_holds').values({
        kind: k.kind,
        project: k.project,
        resource: k.resource,
        holder: h.holder,
        holder_kind: h.holderKind,
        weight: h.weight,
        phase: h.phase,
        acquired_at: now,
        heartbeat_at: now,
        heartbeat_ms: h.heartbeatMs,
        timeout_ms: h.timeoutMs,
        stale_at: null,
        stale_reason: null,
      }),
    );
  }

  deleteHold(id: number): void {
    this.runner.run(this.db.deleteFrom('resource_holds').where('id', '=', id));
  }

  /** Changes a hold's heartbeat, staleness or phase. */
  updateHold(id: number, patch: HoldChange): void {
    const set: { heartbeat_at?: number; stale_at?: number | null; stale_reason?: string | null; phase?: string | null } = {};
    if (patch.heartbeatAt !== undefined) set.heartbeat_at = patch.heartbeatAt;
    if (patch.staleAt !== undefined) set.stale_at = patch.staleAt;
    if (patch.staleReason !== undefined) set.stale_reason = patch.staleReason;
    if (patch.phase !== undefined) set.phase = patch.phase;
    if (Object.keys(set).length === 0) return;
    this.runner.run(this.db.updateTable('resource_holds').set(set).where('id', '=', id));
  }

  // waiters

  waiters(k: ResourceKey): WaiterRow[] {
    return this.runner.all(this.of('resource_waiters', k).orderBy('id')).map(waiterRow);
  }

  waiter(k: ResourceKey, holder: string): WaiterRow | undefined {
    const row = this.runner.first(this.of('resource_waiters', k).where('holder', '=', holder));
    return row ? waiterRow(row) : undefined;
  }

  allWaiters(filter: { kind?: ResourceKind; project?: string | undefined } = {}): WaiterRow[] {
    let q = this.db.selectFrom('resource_waiters').selectAll();
    if (filter.kind) q = q.where('kind', '=', filter.kind);
    if (filter.project) q = q.where('project', '=', filter.project);
    return this.runner.all(q.orderBy('id')).map(waiterRow);
  }

  insertWaiter(k: ResourceKey, w: { holder: string; holderKind: HolderKind; weight: number; phase: string | null }, now: number): void {
    this.runner.run(
      this.db.insertInto('resource_waiters').values({
        kind: k.kind,
        project: k.project,
        resource: k.resource,
        holder: w.holder,
        holder_kind: w.holderKind,
        weight: w.weight,
        phase: w.phase,
        since: now,
      }),
    );
  }

  deleteWaiter(id: number): void {
    this.runner.run(this.db.deleteFrom('resource_waiters').where('id', '=', id));
  }

  /** Resources (of one kind) that have any state at all, for listings. */
  keysWithState(kind: ResourceKind, project?: string): ResourceKey[] {
    const seen = new Map<string, ResourceKey>();
    for (const r of [...this.allHolds({ kind, project }), ...this.allWaiters({ kind, project })]) {
      seen.set(`${r.project}\0${r.resource}`, { kind, project: r.project, resource: r.resource });
    }
    return [...seen.values()];
  }

  counts(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const kind of ['lock', 'semaphore'] as const) {
      const holds = this.allHolds({ kind });
      const waiters = this.allWaiters({ kind });
      out[kind === 'lock' ? 'locks.held' : 'semaphores.units'] = holds.reduce((n, h) => n + h.weight, 0);
      out[kind === 'lock' ? 'locks.waiting' : 'semaphores.waiting'] = waiters.length;
    }
    return out;
  }
}

type HoldDbRow = {
  id: number;
  kind: string;
  project: string;
  resource: string;
  holder: string;
  holder_kind: string;
  weight: number;
  phase: string | null;
  acquired_at: number;
  heartbeat_at: number;
  heartbeat_ms: number;
  timeout_ms: number | null;
  stale_at: number | null;
  stale_reason: string | null;
};

function holdRow(r: HoldDbRow): HoldRow {
  return {
    id: r.id,
    kind: r.kind as ResourceKind,
    project: r.project,
    resource: r.resource,
    holder: r.holder,
    holderKind: r.holder_kind as HolderKind,
    weight: r.weight,
    phase: r.phase,
    acquiredAt: r.acquired_at,
    heartbeatAt: r.heartbeat_at,
    heartbeatMs: r.heartbeat_ms,
    timeoutMs: r.timeout_ms,
    staleAt: r.stale_at,
    staleReason: r.stale_reason,
  };
}

type WaiterDbRow = {
  id: number;
  kind: string;
  project: string;
  resource: string;
  holder: string;
  holder_kind: string;
  weight: number;
  phase: string | null;
  since: number;
};

function waiterRow(r: WaiterDbRow): WaiterRow {
  return {
    id: r.id,
    kind: r.kind as ResourceKind,
    project: r.project,
    resource: r.resource,
    holder: r.holder,
    holderKind: r.holder_kind as HolderKind,
    weight: r.weight,
    phase: r.phase,
    since: r.since,
  };
}
