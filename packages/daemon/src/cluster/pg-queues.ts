/**
 * Queue items in PostgreSQL (cluster mode). A take locks the next pending
 * item with `FOR UPDATE SKIP LOCKED`, so takers on every host pass each
 * other by instead of waiting or colliding; every other change locks its
 * row `FOR UPDATE`. A change's notices go out with `pg_notify` inside the
 * transaction (delivered only if it commits). Rows leave this module with
 * the local project root in `project` (cluster/project-names.ts); items of
 * projects this daemon does not serve are left out of host-wide listings.
 */
import type { JsonValue } from '@oj/protocol';
import type { Kysely, Selectable, Transaction } from 'kysely';
import { orderTerms } from '../core/queue/order.js';
import { sql } from '../storage/kysely.js';
import type { QueueAttemptRow, QueueItemRow } from '../storage/queue-store.js';
import { LIVE_STATUSES } from '../storage/queue-store.js';
import type {
  Gone,
  SharedItemRow,
  ItemDecision,
  ItemNotice,
  ItemTarget,
  ItemTargets,
  KnownRows,
  NewEntry,
  QueueOrder,
  SharedQueues,
  SourceState,
} from '../storage/shared-store.js';
import type { Storage } from '../storage/storage.js';
import type { ProjectNames } from './project-names.js';
import type { PgDatabase, PgQueueItemsTable } from './pg-schema.js';
import type { PgOutbox } from './pg-outbox.js';
import { notify, writeItem } from './pg-item-writes.js';

type PgItemRow = Selectable<PgQueueItemsTable>;
type Db = Kysely<PgDatabase> | Transaction<PgDatabase>;


export interface PgQueuesDeps {
  db: Kysely<PgDatabase>;
  storage: Storage;
  hostId: string;
  names: ProjectNames;
  outbox: PgOutbox;
  /** Runs a shared call, turning a lost connection into a clear error. */
  guard<T>(fn: () => Promise<T>): Promise<T>;
  /** A shared transaction committed (group commit: pg-durability.ts). */
  committed(): void;
}

/** ORDER BY terms of a queue's order over the item's JSON (missing values last, whatever the direction). */
export function pgOrder(order: QueueOrder): ReturnType<typeof sql.join> {
  const parts = [];
  for (const t of orderTerms(order.text, order.terms)) {
    const dir = t.direction === 'desc' ? sql`DESC` : sql`ASC`;
    if (t.field === 'created_at') {
      parts.push(sql`created_at ${dir}`);
      continue;
    }
    const value = sql`(data::jsonb #> ${t.field.split('.')}::text[])`;
    parts.push(sql`(${value} IS NULL OR ${value} = 'null'::jsonb) ASC`, sql`${value} ${dir}`);
  }
  parts.push(sql`seq ASC`);
  return sql.join(parts);
}

const STATUS_RANK = sql`CASE status WHEN 'pending' THEN 0 WHEN 'taken' THEN 1 WHEN 'dead' THEN 2 WHEN 'completed' THEN 3 ELSE 4 END`;

export class PgQueues implements SharedQueues {
  private settler: ((row: QueueItemRow | undefined, payload: JsonValue) => ItemDecision<void>) | null = null;

  constructor(private readonly d: PgQueuesDeps) {}

  private id(root: string): string {
    return this.d.names.identity(root);
  }

  /** The row with the local root for its project (undefined when this daemon does not serve it). */
  private local(r: PgItemRow | undefined): SharedItemRow | undefined {
    if (!r) return undefined;
    const root = this.d.names.root(r.project);
    return root === undefined ? undefined : { ...r, project: root };
  }

  private locals(rows: PgItemRow[]): SharedItemRow[] {
    return rows.map((r) => this.local(r)).filter((r): r is SharedItemRow => r !== undefined);
  }

  private read<T>(fn: (db: Kysely<PgDatabase>) => Promise<T>): Promise<T> {
    return this.d.guard(() => fn(this.d.db));
  }

  live(project: string, queue: string, id: string): Promise<QueueItemRow | undefined> {
    return this.read(async (db) => this.local(await itemsWithId(db, this.id(project), queue, id).selectAll().where('status', 'in', LIVE_STATUSES).executeTakeFirst()));
  }

  latest(project: string, queue: string, id: string): Promise<QueueItemRow | undefined> {
    return this.read(async (db) => this.local(await itemsWithId(db, this.id(project), queue, id).selectAll().orderBy('seq', 'desc').limit(1).executeTakeFirst()));
  }

  bySeq(seq: number): Promise<QueueItemRow | undefined> {
    return this.read(async (db) => this.local(await db.selectFrom('queue_items').selectAll().where('seq', '=', seq).executeTakeFirst()));
  }

  list(...[f, order]: Parameters<SharedQueues['list']>): Promise<QueueItemRow[]> {
    return this.read(async (db) => {
      let q = db.selectFrom('queue_items').selectAll().where('project', '=', this.id(f.project));
      if (f.queue !== undefined) q = q.where('queue', '=', f.queue);
      if (f.statuses?.length) q = q.where('status', 'in', f.statuses);
      q = q.orderBy(STATUS_RANK);
      if (f.queue === undefined) q = q.orderBy('queue');
      q = order ? q.orderBy(pgOrder(order)) : q.orderBy('created_at').orderBy('seq');
      if (f.limit) q = q.limit(f.limit);
      return this.locals(await q.execute());
    });
  }

  countByStatus(project: string | null, queue?: string): Promise<Record<string, number>> {
    return this.read(async (db) => {
      let q = db.selectFrom('queue_items').select(['status', (eb) => eb.fn.countAll<number>().as('n')]);
      if (project !== null) q = q.where('project', '=', this.id(project));
      if (queue !== undefined) q = q.where('queue', '=', queue);
      const out: Record<string, number> = {};
      for (const r of await q.groupBy('status').execute()) out[r.status] = Number(r.n);
      return out;
    });
  }

  pendingCount(project: string, queue: string): Promise<number> {
    return this.read(async (db) => {
      const r = await this.pending(db, project, queue).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst();
      return Number(r?.n ?? 0);
    });
  }

  hasPending(project: string, queue: string): Promise<boolean> {
    return this.read(async (db) => (await this.pending(db, project, queue).select('seq').limit(1).executeTakeFirst()) !== undefined);
  }

  private pending(db: Db, project: string, queue: string) {
    return db.selectFrom('queue_items').where('project', '=', this.id(project)).where('queue', '=', queue).where('status', '=', 'pending');
  }

  takenByWorker(project: string, worker: string): Promise<QueueItemRow[]> {
    return this.read(async (db) =>
      this.locals(
        await db
          .selectFrom('queue_items')
          .selectAll()
          .where('project', '=', this.id(project))
          .where('worker', '=', worker)
          .where('host', '=', this.d.hostId)
          .where('status', '=', 'taken')
          .execute(),
      ),
    );
  }

  projectsWithLiveItems(): Promise<string[]> {
    return this.read(async (db) => {
      const rows = await db.selectFrom('queue_items').select('project').distinct().where('status', 'in', LIVE_STATUSES).execute();
      return rows.map((r) => this.d.names.root(r.project)).filter((r): r is string => r !== undefined);
    });
  }

  heldHere(): Promise<QueueItemRow[]> {
    return this.read(async (db) =>
      this.locals(await db.selectFrom('queue_items').selectAll().where('status', '=', 'taken').where('host', '=', this.d.hostId).execute()),
    );
  }

  overdue(now: number, only?: readonly string[]): Promise<QueueItemRow[]> {
    if (only?.length === 0) return Promise.resolve([]);
    return this.read(async (db) => {
      const rows = await db
        .selectFrom('queue_items as i')
        .leftJoin('hosts as h', 'h.host', 'i.host')
        .selectAll('i')
        .select(sql<boolean>`(h.host IS NOT NULL AND h.host <> ${this.d.hostId} AND h.heartbeat_at + h.lease_ms <= ${now})`.as('host_gone'))
        .where('i.status', '=', 'taken')
        .$if(only !== undefined, (qb) => qb.where('i.project', 'in', (only ?? []).map((r) => this.id(r))))
        .where((eb) =>
          eb.or([
            eb('i.visible_at', '<=', now),
            eb.and([eb('h.host', 'is not', null), eb('h.host', '<>', this.d.hostId), eb(sql`h.heartbeat_at + h.lease_ms`, '<=', now)]),
          ]),
        )
        .orderBy('i.visible_at')
        .execute();
      const out: SharedItemRow[] = [];
      for (const { host_gone, ...r } of rows) {
        const row = this.local(r);
        if (row) out.push({ ...row, hostGone: host_gone });
      }
      return out;
    });
  }

  /** The next moment a taken item may need the sweep: its deadline, or when its host's lease lapses. */
  nextVisibleAt(only?: readonly string[]): Promise<number | null> {
    if (only?.length === 0) return Promise.resolve(null);
    return this.read(async (db) => {
      const r = await db
        .selectFrom('queue_items as i')
        .leftJoin('hosts as h', 'h.host', 'i.host')
        .select(sql<number | null>`min(CASE WHEN h.host IS NOT NULL AND h.host <> ${this.d.hostId} THEN LEAST(i.visible_at, h.heartbeat_at + h.lease_ms) ELSE i.visible_at END)`.as('t'))
        .where('i.status', '=', 'taken')
        .$if(only !== undefined, (qb) => qb.where('i.project', 'in', (only ?? []).map((r) => this.id(r))))
        .executeTakeFirst();
      return r?.t ?? null;
    });
  }

  nextExpiry(): Promise<number | null> {
    return this.read(async (db) => {
      const r = await db
        .selectFrom('queue_items')
        .select((eb) => eb.fn.min<number>('expires_at').as('t'))
        .where('expires_at', 'is not', null)
        .executeTakeFirst();
      return r?.t ?? null;
    });
  }

  attempts(seq: number): Promise<QueueAttemptRow[]> {
    // Each attempt keeps the host that took it (oj queue show lists it).
    return this.read((db) => db.selectFrom('queue_attempts').selectAll().where('item_seq', '=', seq).orderBy('attempt').orderBy('id').execute());
  }

  source(project: string, queue: string): Promise<SourceState> {
    return this.read(async (db) => sourceOf(db, this.id(project), queue));
  }

  // ---- writes

  /** Runs fn in one shared transaction, then its local part in a local write. */
  private async transact<T>(fn: (trx: Transaction<PgDatabase>) => Promise<{ result: T; local?: (() => void) | undefined }>): Promise<T> {
    const out = await this.d.guard(() => this.d.db.transaction().execute(fn));
    this.d.committed();
    if (out.local) {
      const local = out.local;
      this.d.storage.write(() => local());
    }
    return out.result;
  }

  add(...[project, queue, entries, now, local]: Parameters<SharedQueues['add']>): ReturnType<SharedQueues['add']> {
    const identity = this.id(project);
    return this.transact(async (trx) => {
      const added: QueueItemRow[] = [];
      const duplicates: string[] = [];
      for (const e of entries) {
        if (e.id !== null && (await liveSeq(trx, identity, queue, e.id)) !== undefined) {
          duplicates.push(e.id);
          continue;
        }
        const row = await insertItem(trx, identity, queue, e, 'added', now, null);
        if (row) added.push({ ...row, project });
        else duplicates.push(e.id!);
      }
      if (added.length) await notify(trx, this.d.hostId, identity, { project, queue, reason: 'added', worker: null });
      const result = { added, duplicates };
      return { result, local: () => local(added, duplicates) };
    });
  }

  change<T>(target: ItemTarget, decide: (row: QueueItemRow | undefined) => ItemDecision<T>): Promise<T> {
    return this.transact(async (trx) => {
      let raw: PgItemRow | undefined;
      if ('seq' in target) {
        raw = await trx.selectFrom('queue_items').selectAll().where('seq', '=', target.seq).forUpdate().executeTakeFirst();
      } else {
        const n = target.next;
        raw = await trx
          .selectFrom('queue_items')
          .selectAll()
          .where('project', '=', this.id(n.project))
          .where('queue', '=', n.queue)
          .where('status', '=', 'pending')
          .orderBy(pgOrder(n.order))
          .limit(1)
          .forUpdate()
          .skipLocked()
          .executeTakeFirst();
      }
      const row = this.local(raw);
      const d = decide(row);
      if (raw && row && d.write) await writeItem(trx, raw.seq, d.write, this.d.hostId);
      for (const n of d.notices ?? []) await notify(trx, this.d.hostId, this.id(n.project), n);
      return { result: d.result, local: d.local };
    });
  }

  /** One transaction: the rows locked in seq order (no two batches wait on each other), decided in target order. */
  changeMany<T>(targets: ItemTargets, decide: (row: QueueItemRow | undefined, index: number) => ItemDecision<T>): Promise<T[]> {
    return this.transact(async (trx) => {
      let raws: (PgItemRow | undefined)[];
      if ('seqs' in targets) {
        const seqs = [...targets.seqs];
        const locked = seqs.length ? await trx.selectFrom('queue_items').selectAll().where('seq', 'in', seqs).orderBy('seq').forUpdate().execute() : [];
        const bySeq = new Map(locked.map((r) => [r.seq, r]));
        raws = seqs.map((s) => bySeq.get(s));
      } else {
        raws = await this.pending(trx, targets.next.project, targets.next.queue).selectAll().orderBy(pgOrder(targets.next.order)).limit(targets.count).forUpdate().skipLocked().execute();
      }
      const results: T[] = [];
      const locals: (() => void)[] = [];
      const notices = new Map<string, ItemNotice>();
      for (const [i, raw] of raws.entries()) {
        const row = this.local(raw);
        const d = decide(row, i);
        if (raw && row && d.write) await writeItem(trx, raw.seq, d.write, this.d.hostId);
        for (const n of d.notices ?? []) notices.set(JSON.stringify(n), n);
        if (d.local) locals.push(d.local);
        results.push(d.result);
      }
      for (const n of notices.values()) await notify(trx, this.d.hostId, this.id(n.project), n);
      return { result: results, local: locals.length ? () => locals.forEach((l) => l()) : undefined };
    });
  }

  settle(seq: number, payload: JsonValue): void {
    this.d.outbox.add('item', seq, payload);
  }

  setSettler(decide: (row: QueueItemRow | undefined, payload: JsonValue) => ItemDecision<void>): void {
    this.settler = decide;
  }

  /** Applies one outbox entry (the outbox calls this). */
  applySettled(seq: number, payload: JsonValue): Promise<void> {
    const settler = this.settler;
    if (!settler) return Promise.reject(new Error('no settler registered'));
    return this.change({ seq }, (row) => settler(row, payload));
  }

  prune(now: number, only: readonly string[] | undefined, local: (gone: Gone[]) => void): Promise<Gone[]> {
    return this.transact(async (trx) => {
      let q = trx.deleteFrom('queue_items').where('expires_at', 'is not', null).where('expires_at', '<=', now);
      if (only) q = only.length ? q.where('project', 'in', only.map((r) => this.id(r))) : q.where(sql<boolean>`false`);
      const rows = await q.returning(['project', 'queue', 'id', 'status']).execute();
      const gone = rows.flatMap((r) => {
        const root = this.d.names.root(r.project);
        return root === undefined ? [] : [{ ...r, project: root }];
      });
      return { result: gone, local: () => local(gone) };
    });
  }

  recordPull(...[project, queue, ids, now, decide, local]: Parameters<SharedQueues['recordPull']>): Promise<QueueItemRow[]> {
    const identity = this.id(project);
    return this.transact(async (trx) => {
      await sql`SELECT pg_advisory_xact_lock(hashtext(${identity}), hashtext(${queue}))`.execute(trx);
      const prev = (await sourceOf(trx, identity, queue)).pull_gen;
      const gen = prev + 1;
      const rows = ids.length
        ? await trx.selectFrom('queue_items').selectAll().where('project', '=', identity).where('queue', '=', queue).where('id', 'in', [...ids]).orderBy('seq').execute()
        : [];
      const known = new Map<string, KnownRows>();
      for (const id of ids) {
        const mine = rows.filter((r) => r.id === id);
        const live = mine.find((r) => (LIVE_STATUSES as readonly string[]).includes(r.status));
        const latest = live ? undefined : mine[mine.length - 1];
        known.set(id, { live: live && { ...live, project }, latest: latest && { ...latest, project } });
      }
      const plan = decide(known, prev);
      for (const s of plan.seen) {
        await trx
          .updateTable('queue_items')
          .set(s.data !== null ? { seen_pull: gen, data: s.data, updated_at: now } : { seen_pull: gen })
          .where('seq', '=', s.seq)
          .execute();
      }
      const added: QueueItemRow[] = [];
      for (const e of plan.insert) {
        const row = await insertItem(trx, identity, queue, e, 'source', now, gen);
        if (row) added.push({ ...row, project });
      }
      await saveSource(trx, identity, queue, gen, now, null);
      if (added.length) await notify(trx, this.d.hostId, identity, { project, queue, reason: 'added', worker: null });
      return { result: added, local: () => local(added, gen) };
    });
  }

  sourceFailed(project: string, queue: string, at: number, error: string, local: () => void): Promise<void> {
    const identity = this.id(project);
    return this.transact(async (trx) => {
      const s = await sourceOf(trx, identity, queue);
      await saveSource(trx, identity, queue, s.pull_gen, at, error);
      return { result: undefined, local };
    });
  }
}

/** The items of a queue with one id (`project`: its cluster identity): at most one live, any number ended. */
function itemsWithId(db: Db, project: string, queue: string, id: string) {
  return db.selectFrom('queue_items').where('project', '=', project).where('queue', '=', queue).where('id', '=', id);
}

async function liveSeq(db: Db, project: string, queue: string, id: string): Promise<number | undefined> {
  const r = await itemsWithId(db, project, queue, id).select('seq').where('status', 'in', LIVE_STATUSES).executeTakeFirst();
  return r?.seq;
}

async function sourceOf(db: Db, project: string, queue: string): Promise<SourceState> {
  const r = await db.selectFrom('queue_sources').select(['pull_gen', 'last_pull_at', 'last_error']).where('project', '=', project).where('queue', '=', queue).executeTakeFirst();
  return r ?? { pull_gen: 0, last_pull_at: null, last_error: null };
}

async function saveSource(db: Db, project: string, queue: string, gen: number, at: number, error: string | null): Promise<void> {
  await db
    .insertInto('queue_sources')
    .values({ project, queue, pull_gen: gen, last_pull_at: at, last_error: error })
    .onConflict((oc) => oc.columns(['project', 'queue']).doUpdateSet({ pull_gen: gen, last_pull_at: at, last_error: error }))
    .execute();
}

/** Inserts one item; undefined when a live item has its id. A generated id is the row's number, skipping numbers an item uses as its id. */
async function insertItem(
  trx: Transaction<PgDatabase>,
  project: string,
  queue: string,
  e: NewEntry,
  origin: 'added' | 'source',
  now: number,
  seenPull: number | null,
): Promise<PgItemRow | undefined> {
  let seq: number | undefined;
  let id = e.id;
  if (id === null) {
    for (;;) {
      const r = await sql<{ n: number }>`SELECT nextval(pg_get_serial_sequence('queue_items', 'seq'))::integer AS n`.execute(trx);
      seq = r.rows[0]!.n;
      const taken = await trx.selectFrom('queue_items').select('seq').where('project', '=', project).where('queue', '=', queue).where('id', '=', String(seq)).executeTakeFirst();
      if (!taken) break;
    }
    id = String(seq);
  }
  const data = { ...e.data };
  if (data.id === undefined) data.id = id;
  return trx
    .insertInto('queue_items')
    .values({
      ...(seq !== undefined ? { seq } : {}),
      project,
      queue,
      id,
      data: JSON.stringify(data),
      status: 'pending',
      origin,
      attempts: 0,
      failures: 0,
      created_at: now,
      updated_at: now,
      seen_pull: seenPull,
    })
    .onConflict((oc) => oc.columns(['project', 'queue', 'id']).where(sql.ref('status'), 'in', LIVE_STATUSES).doNothing())
    .returningAll()
    .executeTakeFirst();
}
