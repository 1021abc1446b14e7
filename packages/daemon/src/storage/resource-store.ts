/**
 * Holds and waiters of locks and semaphores. Plain row access: the rules
 * (first come first served, weights, staleness) live in the coordinator,
 * which calls these inside its write transactions.
 */
import type { LockMethods } from '@oj/protocol';
import type { Selectable, SelectQueryBuilder } from 'kysely';
import type { OpenedDatabase } from './database.js';
import type { Database } from './schema.js';
import type { ResourceHoldsTable, ResourceWaitersTable } from './schema-coordination.js';

export type ResourceKind = LockMethods.ResourceKind;
export type HolderKind = LockMethods.HolderKind;

export interface ResourceKey {
  kind: ResourceKind;
  project: string;
  /** Qualified id of the lock or semaphore. */
  resource: string;
}

export interface HoldRow {
  id: number;
  kind: ResourceKind;
  project: string;
  resource: string;
  holder: string;
  holderKind: HolderKind;
  weight: number;
  phase: string | null;
  acquiredAt: number;
  heartbeatAt: number;
  heartbeatMs: number;
  timeoutMs: number | null;
  staleAt: number | null;
  staleReason: string | null;
}

export interface WaiterRow {
  id: number;
  kind: ResourceKind;
  project: string;
  resource: string;
  holder: string;
  holderKind: HolderKind;
  weight: number;
  phase: string | null;
  since: number;
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

  /** A heartbeat: refreshes the time (and, with clearStale, forgets an earlier staleness). */
  beat(id: number, now: number, clearStale: boolean): void {
    this.runner.run(
      this.db
        .updateTable('resource_holds')
        .set(clearStale ? { heartbeat_at: now, stale_at: null, stale_reason: null } : { heartbeat_at: now })
        .where('id', '=', id),
    );
  }

  /** Refreshes several holds at once (the daemon's own heartbeat). */
  beatMany(ids: number[], now: number): void {
    if (ids.length === 0) return;
    this.runner.run(this.db.updateTable('resource_holds').set({ heartbeat_at: now }).where('id', 'in', ids));
  }

  markStale(id: number, now: number, reason: string): void {
    this.runner.run(this.db.updateTable('resource_holds').set({ stale_at: now, stale_reason: reason }).where('id', '=', id));
  }

  setPhase(id: number, phase: string | null): void {
    this.runner.run(this.db.updateTable('resource_holds').set({ phase }).where('id', '=', id));
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

function holdRow(r: Selectable<ResourceHoldsTable>): HoldRow {
  return {
    id: r.id,
    kind: r.kind,
    project: r.project,
    resource: r.resource,
    holder: r.holder,
    holderKind: r.holder_kind,
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

function waiterRow(r: Selectable<ResourceWaitersTable>): WaiterRow {
  return {
    id: r.id,
    kind: r.kind,
    project: r.project,
    resource: r.resource,
    holder: r.holder,
    holderKind: r.holder_kind,
    weight: r.weight,
    phase: r.phase,
    since: r.since,
  };
}
