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
import type { ResourceHoldsTable, ResourceWaitersTable } from './schema-coordination.js';

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

/** Who claims a resource (to hold it or to wait in line for it): what a hold and a place in line share. */
export type NewClaim = Pick<Hold, 'holder' | 'holderKind' | 'weight' | 'phase' | 'run'>;

/** A claim as stored: with its row id and resource. */
export interface ClaimRow extends NewClaim, ResourceKey {
  id: number;
}

export interface NewHold extends NewClaim {
  heartbeatMs: number;
  timeoutMs: number | null;
}

/** Which claims to list: of one kind, of one project. */
export interface ClaimFilter {
  kind?: ResourceKind;
  project?: string | undefined;
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

  /** Rows of either table (optionally of one kind/project), oldest first. */
  private every<T extends 'resource_holds' | 'resource_waiters'>(table: T, filter: ClaimFilter) {
    let q = this.db.selectFrom(table as 'resource_holds' | 'resource_waiters').selectAll();
    if (filter.kind) q = q.where('kind', '=', filter.kind);
    if (filter.project) q = q.where('project', '=', filter.project);
    return this.runner.all(q.orderBy('id')) as Selectable<Database[T]>[];
  }

  holds(k: ResourceKey): HoldRow[] {
    return this.runner.all(this.of('resource_holds', k).orderBy('id')).map(holdRow);
  }

  hold(k: ResourceKey, holder: string): HoldRow | undefined {
    const row = this.runner.first(this.of('resource_holds', k).where('holder', '=', holder));
    return row ? holdRow(row) : undefined;
  }

  /** Every hold (optionally of one kind/project), oldest first. */
  allHolds(filter: ClaimFilter = {}): HoldRow[] {
    return this.every('resource_holds', filter).map(holdRow);
  }

  insertHold(k: ResourceKey, h: NewHold, now: number): void {
    this.runner.run(
      this.db.insertInto('resource_holds').values({
        ...claimColumns(k, h),
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

  /** Changes a hold's heartbeat, staleness or phase (and run). */
  updateHold(id: number, patch: HoldChange): void {
    const set: { heartbeat_at?: number; stale_at?: number | null; stale_reason?: string | null; phase?: string | null; run?: number | null } = {};
    if (patch.heartbeatAt !== undefined) set.heartbeat_at = patch.heartbeatAt;
    if (patch.staleAt !== undefined) set.stale_at = patch.staleAt;
    if (patch.staleReason !== undefined) set.stale_reason = patch.staleReason;
    if (patch.phase !== undefined) set.phase = patch.phase;
    if (patch.run !== undefined) set.run = patch.run;
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

  allWaiters(filter: ClaimFilter = {}): WaiterRow[] {
    return this.every('resource_waiters', filter).map(waiterRow);
  }

  insertWaiter(k: ResourceKey, w: NewClaim, now: number): void {
    this.runner.run(this.db.insertInto('resource_waiters').values({ ...claimColumns(k, w), since: now }));
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

/** The columns a hold and a place in line share, for an insert. */
function claimColumns(k: ResourceKey, c: NewClaim) {
  return { kind: k.kind, project: k.project, resource: k.resource, holder: c.holder, holder_kind: c.holderKind, weight: c.weight, phase: c.phase, run: c.run };
}

function claimRow(r: Selectable<ResourceHoldsTable> | Selectable<ResourceWaitersTable>): ClaimRow {
  return {
    id: r.id,
    kind: r.kind,
    project: r.project,
    resource: r.resource,
    holder: r.holder,
    holderKind: r.holder_kind,
    weight: r.weight,
    phase: r.phase,
    run: r.run,
  };
}

function holdRow(r: Selectable<ResourceHoldsTable>): HoldRow {
  return {
    ...claimRow(r),
    acquiredAt: r.acquired_at,
    heartbeatAt: r.heartbeat_at,
    heartbeatMs: r.heartbeat_ms,
    timeoutMs: r.timeout_ms,
    staleAt: r.stale_at,
    staleReason: r.stale_reason,
  };
}

function waiterRow(r: Selectable<ResourceWaitersTable>): WaiterRow {
  return { ...claimRow(r), since: r.since };
}
