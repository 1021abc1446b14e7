/**
 * Locks and semaphores in PostgreSQL (cluster mode): every change locks the
 * resource's row (`FOR UPDATE`, inserted first if new), so one decision at a
 * time is made per resource across every host; holds and places in line
 * carry their host, and a grant from the line is told to the waiter's host
 * (`pg_notify` inside the transaction). Places in line are served in the
 * order of their row ids: first come, first served across hosts. Only
 * transaction-scoped locks are used: no session holds anything between calls.
 */
import type { JsonValue } from '@oj/protocol';
import type { Kysely, Selectable, Transaction } from 'kysely';
import type { HoldRow, ResourceKey, WaiterRow } from '../storage/resource-store.js';
import { sql } from '../storage/kysely.js';
import type { ClaimFilter } from '../storage/resource-store.js';
import type { ResourceDecision, ResourceSettler, ResourceWrite, SharedHoldRow, SharedResources, SharedWaiterRow } from '../storage/shared-resources.js';
import type { Storage } from '../storage/storage.js';
import type { PgOutbox } from './pg-outbox.js';
import type { ProjectNames } from './project-names.js';
import type { PgDatabase, PgResourceHoldsTable, PgResourceWaitersTable } from './pg-schema.js';

export const GRANT_CHANNEL = 'oj_grant';

export interface PgResourcesDeps {
  db: Kysely<PgDatabase>;
  storage: Storage;
  hostId: string;
  names: ProjectNames;
  outbox: PgOutbox;
  guard<T>(fn: () => Promise<T>): Promise<T>;
  /** A shared transaction committed (group commit: pg-durability.ts). */
  committed(): void;
}

/** An outbox entry of kind `release`: the resource (its local project root) and what the settler decides on. */
interface SettledRelease {
  key: ResourceKey;
  payload: JsonValue;
}

type HoldSel = Selectable<PgResourceHoldsTable> & { host_gone?: boolean | null };

export class PgResources implements SharedResources {
  private settler: ResourceSettler | null = null;

  constructor(private readonly d: PgResourcesDeps) {}

  settle(key: ResourceKey, payload: JsonValue): void {
    const entry: SettledRelease = { key, payload };
    this.d.outbox.add('release', 0, entry as unknown as JsonValue);
  }

  settling(): Promise<void> {
    return this.d.outbox.settled();
  }

  setSettler(decide: ResourceSettler): void {
    this.settler = decide;
  }

  /** Applies one outbox entry (the outbox calls this). */
  applySettled(entry: JsonValue): Promise<void> {
    const settler = this.settler;
    if (!settler) return Promise.reject(new Error('no resource settler registered'));
    const { key, payload } = entry as unknown as SettledRelease;
    return this.change(key, (holds, waiters) => settler(key, holds, waiters, payload));
  }

  private id(root: string): string {
    return this.d.names.identity(root);
  }

  private holdRow(r: HoldSel): SharedHoldRow | undefined {
    const project = this.d.names.root(r.project);
    if (project === undefined) return undefined;
    const base: HoldRow = {
      id: r.id,
      kind: r.kind,
      project,
      resource: r.resource,
      holder: r.holder,
      holderKind: r.holder_kind,
      weight: r.weight,
      phase: r.phase,
      run: r.run,
      acquiredAt: r.acquired_at,
      heartbeatAt: r.heartbeat_at,
      heartbeatMs: r.heartbeat_ms,
      timeoutMs: r.timeout_ms,
      staleAt: r.stale_at,
      staleReason: r.stale_reason,
    };
    return { ...base, host: r.host, here: r.host === this.d.hostId, hostGone: r.host_gone === true };
  }

  private waiterRow(r: Selectable<PgResourceWaitersTable>): SharedWaiterRow | undefined {
    const project = this.d.names.root(r.project);
    if (project === undefined) return undefined;
    const base: WaiterRow = { id: r.id, kind: r.kind, project, resource: r.resource, holder: r.holder, holderKind: r.holder_kind, weight: r.weight, phase: r.phase, run: r.run, since: r.since };
    return { ...base, host: r.host, here: r.host === this.d.hostId };
  }

  private holdsQuery(db: Kysely<PgDatabase> | Transaction<PgDatabase>) {
    return db
      .selectFrom('resource_holds as r')
      .leftJoin('hosts as h', 'h.host', 'r.host')
      .selectAll('r')
      .select(sql<boolean>`(h.host IS NOT NULL AND h.host <> ${this.d.hostId} AND h.heartbeat_at + h.lease_ms <= ${this.d.storage.now()})`.as('host_gone'));
  }

  private async readHolds(db: Kysely<PgDatabase> | Transaction<PgDatabase>, where: { key?: ResourceKey; holder?: string; filter?: ClaimFilter }): Promise<SharedHoldRow[]> {
    let q = this.holdsQuery(db);
    if (where.key) q = q.where('r.kind', '=', where.key.kind).where('r.project', '=', this.id(where.key.project)).where('r.resource', '=', where.key.resource);
    if (where.holder !== undefined) q = q.where('r.holder', '=', where.holder);
    if (where.filter?.kind) q = q.where('r.kind', '=', where.filter.kind);
    if (where.filter?.project) q = q.where('r.project', '=', this.id(where.filter.project));
    const rows = await q.orderBy('r.id').execute();
    return rows.map((r) => this.holdRow(r)).filter((r): r is SharedHoldRow => r !== undefined);
  }

  private async readWaiters(db: Kysely<PgDatabase> | Transaction<PgDatabase>, where: { key?: ResourceKey; filter?: ClaimFilter }): Promise<SharedWaiterRow[]> {
    let q = db.selectFrom('resource_waiters').selectAll();
    if (where.key) q = q.where('kind', '=', where.key.kind).where('project', '=', this.id(where.key.project)).where('resource', '=', where.key.resource);
    if (where.filter?.kind) q = q.where('kind', '=', where.filter.kind);
    if (where.filter?.project) q = q.where('project', '=', this.id(where.filter.project));
    const rows = await q.orderBy('id').execute();
    return rows.map((r) => this.waiterRow(r)).filter((r): r is SharedWaiterRow => r !== undefined);
  }

  holds(key: ResourceKey): Promise<SharedHoldRow[]> {
    return this.d.guard(() => this.readHolds(this.d.db, { key }));
  }
  async hold(key: ResourceKey, holder: string): Promise<SharedHoldRow | undefined> {
    return (await this.d.guard(() => this.readHolds(this.d.db, { key, holder })))[0];
  }
  waiters(key: ResourceKey): Promise<SharedWaiterRow[]> {
    return this.d.guard(() => this.readWaiters(this.d.db, { key }));
  }
  allHolds(filter: ClaimFilter = {}): Promise<SharedHoldRow[]> {
    return this.d.guard(() => this.readHolds(this.d.db, { filter }));
  }
  allWaiters(filter: ClaimFilter = {}): Promise<SharedWaiterRow[]> {
    return this.d.guard(() => this.readWaiters(this.d.db, { filter }));
  }

  async change<T>(key: ResourceKey, decide: (holds: SharedHoldRow[], waiters: SharedWaiterRow[]) => ResourceDecision<T>): Promise<T> {
    const identity = this.id(key.project);
    const out = await this.d.guard(() =>
      this.d.db.transaction().execute(async (trx) => {
        await trx.insertInto('resources').values({ kind: key.kind, project: identity, resource: key.resource }).onConflict((oc) => oc.doNothing()).execute();
        await trx.selectFrom('resources').select('kind').where('kind', '=', key.kind).where('project', '=', identity).where('resource', '=', key.resource).forUpdate().execute();
        const holds = await this.readHolds(trx, { key });
        const waiters = await this.readWaiters(trx, { key });
        const d = decide(holds, waiters);
        const hostOf = new Map(waiters.map((w) => [w.holder, w.host]));
        for (const w of d.writes) await this.write(trx, key.kind, identity, key.resource, w, hostOf);
        for (const holder of d.granted ?? []) {
          const host = hostOf.get(holder) ?? this.d.hostId;
          if (host === this.d.hostId) continue;
          const payload = JSON.stringify({ h: host, k: key.kind, p: identity, r: key.resource, w: holder });
          await sql`SELECT pg_notify(${GRANT_CHANNEL}, ${payload})`.execute(trx);
        }
        return d;
      }),
    );
    this.d.committed();
    if (out.local) {
      const local = out.local;
      this.d.storage.write(() => local());
    }
    return out.result;
  }

  private async write(trx: Transaction<PgDatabase>, kind: ResourceKey['kind'], project: string, resource: string, w: ResourceWrite, hostOf: Map<string, string | null>): Promise<void> {
    switch (w.type) {
      case 'deleteHold':
        await trx.deleteFrom('resource_holds').where('id', '=', w.id).execute();
        return;
      case 'deleteWaiter':
        await trx.deleteFrom('resource_waiters').where('id', '=', w.id).execute();
        return;
      case 'insertHold': {
        const h = w.hold;
        const host = hostOf.has(h.holder) ? (hostOf.get(h.holder) ?? null) : this.d.hostId;
        await trx
          .insertInto('resource_holds')
          .values({
            kind, project, resource, holder: h.holder, holder_kind: h.holderKind, weight: h.weight, phase: h.phase, run: h.run, host,
            acquired_at: h.acquiredAt, heartbeat_at: h.acquiredAt, heartbeat_ms: h.heartbeatMs, timeout_ms: h.timeoutMs, stale_at: null, stale_reason: null,
          })
          .execute();
        return;
      }
      case 'updateHold': {
        const set: { heartbeat_at?: number; stale_at?: number | null; stale_reason?: string | null; phase?: string | null; run?: number | null } = {};
        if (w.patch.heartbeatAt !== undefined) set.heartbeat_at = w.patch.heartbeatAt;
        if (w.patch.staleAt !== undefined) set.stale_at = w.patch.staleAt;
        if (w.patch.staleReason !== undefined) set.stale_reason = w.patch.staleReason;
        if (w.patch.phase !== undefined) set.phase = w.patch.phase;
        if (w.patch.run !== undefined) set.run = w.patch.run;
        if (Object.keys(set).length) await trx.updateTable('resource_holds').set(set).where('id', '=', w.id).execute();
        return;
      }
      case 'insertWaiter': {
        const x = w.waiter;
        await trx
          .insertInto('resource_waiters')
          .values({ kind, project, resource, holder: x.holder, holder_kind: x.holderKind, weight: x.weight, phase: x.phase, run: x.run, host: this.d.hostId, since: x.since })
          .execute();
        return;
      }
    }
  }
}

/** A grant as another host told it, or null when the payload is not one. */
export function parseGrant(payload: string | undefined): { host: string; kind: ResourceKey['kind']; identity: string; resource: string; holder: string } | null {
  try {
    const o = JSON.parse(payload ?? '') as { h?: unknown; k?: unknown; p?: unknown; r?: unknown; w?: unknown };
    if (typeof o.h !== 'string' || (o.k !== 'lock' && o.k !== 'semaphore') || typeof o.p !== 'string' || typeof o.r !== 'string' || typeof o.w !== 'string') return null;
    return { host: o.h, kind: o.k, identity: o.p, resource: o.r, holder: o.w };
  } catch {
    return null;
  }
}
