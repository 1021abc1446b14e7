/**
 * Queue items, their attempts and the source-pull bookkeeping. Plain data
 * access: the semantics (retries, dead letters, visibility) are the item
 * lifecycle's (core/queue), which queues/ applies inside its transactions.
 */
import type { QueueMethods } from '@oj/protocol';
import type BetterSqlite3 from 'better-sqlite3';
import type { Insertable, Selectable, Updateable } from 'kysely';
import { ACTIVE_STATUSES } from '../core/pipeline-state.js';
import { sql } from './kysely.js';
import type { OpenedDatabase } from './database.js';
import type { OrderClause } from './queue-order.js';
import type { QueueAttemptsTable, QueueItemsTable } from './schema-queues.js';

export type QueueItemRow = Selectable<QueueItemsTable>;
export type QueueAttemptRow = Selectable<QueueAttemptsTable>;

export const LIVE_STATUSES = ['pending', 'taken', 'dead'] as const;

/** The columns update() may set (names enter its SQL text, so they are checked against this list). */
const ITEM_COLUMNS: ReadonlySet<string> = new Set<keyof QueueItemsTable>([
  'project',
  'queue',
  'id',
  'data',
  'status',
  'origin',
  'attempts',
  'failures',
  'created_at',
  'updated_at',
  'taken_at',
  'taken_by',
  'worker',
  'visible_at',
  'finished_at',
  'error',
  'expires_at',
  'seen_pull',
]);

export interface NewItem {
  project: string;
  queue: string;
  /** Null: generate one from the row's sequence number. */
  id: string | null;
  data: Record<string, unknown>;
  origin: QueueMethods.QueueItemOrigin;
  now: number;
  seenPull: number | null;
}

export interface ItemFilter {
  project: string;
  queue?: string | undefined;
  statuses?: readonly QueueMethods.QueueItemStatus[] | undefined;
  limit?: number | undefined;
}

/** The statement a take runs (parameters: project, queue, then the order's). */
export function takeSql(order: OrderClause): string {
  return `SELECT * FROM queue_items WHERE project = ? AND queue = ? AND status = 'pending' ORDER BY ${order.sql} LIMIT ?`;
}

export class QueueStore {
  private nextSeqCache: number | null = null;

  constructor(private readonly store: OpenedDatabase) {}

  private get db() {
    return this.store.db;
  }
  private get runner() {
    return this.store.runner;
  }

  /**
   * The statements a 10,000-item `oj queue add` runs per item, prepared once
   * as plain SQL: building and compiling them with kysely every time costs
   * ten times what SQLite spends running them.
   */
  private hot: {
    live: BetterSqlite3.Statement;
    idTaken: BetterSqlite3.Statement;
    insert: BetterSqlite3.Statement;
  } | null = null;

  private get statements() {
    this.hot ??= {
      live: this.runner.sqlite.prepare(
        "SELECT * FROM queue_items WHERE project = ? AND queue = ? AND id = ? AND status IN ('pending', 'taken', 'dead')",
      ),
      idTaken: this.runner.sqlite.prepare('SELECT 1 FROM queue_items WHERE project = ? AND queue = ? AND id = ? LIMIT 1'),
      insert: this.runner.sqlite.prepare(
        `INSERT INTO queue_items (seq, project, queue, id, data, status, origin, attempts, failures, created_at, updated_at, seen_pull)
         VALUES (?, ?, ?, ?, ?, 'pending', ?, 0, 0, ?, ?, ?)`,
      ),
    };
    return this.hot;
  }

  /** The live (pending, taken or dead) row with this id, if any. */
  live(project: string, queue: string, id: string): QueueItemRow | undefined {
    return this.statements.live.get(project, queue, id) as QueueItemRow | undefined;
  }

  /** The newest row with this id (live or finished). */
  latest(project: string, queue: string, id: string): QueueItemRow | undefined {
    return this.runner.first(
      this.db
        .selectFrom('queue_items')
        .selectAll()
        .where('project', '=', project)
        .where('queue', '=', queue)
        .where('id', '=', id)
        .orderBy('seq', 'desc')
        .limit(1),
    ) as QueueItemRow | undefined;
  }

  bySeq(seq: number): QueueItemRow | undefined {
    return this.prepared('SELECT * FROM queue_items WHERE seq = ?').get(seq) as QueueItemRow | undefined;
  }

  /**
   * Statements an item transition runs (once per take, complete, ...),
   * prepared once as plain SQL: kysely's build and compile cost more than
   * SQLite's run of them.
   */
  private readonly preparedCache = new Map<string, BetterSqlite3.Statement>();

  private prepared(sql: string): BetterSqlite3.Statement {
    let stmt = this.preparedCache.get(sql);
    if (!stmt) {
      stmt = this.runner.sqlite.prepare(sql);
      this.preparedCache.set(sql, stmt);
    }
    return stmt;
  }

  private idTaken(project: string, queue: string, id: string): boolean {
    return this.statements.idTaken.get(project, queue, id) !== undefined;
  }

  /** Inserts one item (call inside a write); returns the row. */
  insert(n: NewItem): QueueItemRow {
    let seq: number | undefined;
    let id = n.id;
    if (id === null) {
      // Generated ids are the row's sequence number, skipping any an item already uses as its own id.
      let next = this.nextSeq();
      while (this.idTaken(n.project, n.queue, String(next))) next++;
      seq = next;
      id = String(next);
    }
    const data = { ...n.data };
    if (data.id === undefined) data.id = id;
    const row: Omit<QueueItemRow, 'seq'> = {
      project: n.project,
      queue: n.queue,
      id,
      data: JSON.stringify(data),
      status: 'pending',
      origin: n.origin,
      attempts: 0,
      failures: 0,
      created_at: n.now,
      updated_at: n.now,
      taken_at: null,
      taken_by: null,
      worker: null,
      visible_at: null,
      finished_at: null,
      error: null,
      expires_at: null,
      seen_pull: n.seenPull,
    };
    const r = this.statements.insert.run(seq ?? null, row.project, row.queue, row.id, row.data, row.origin, row.created_at, row.updated_at, row.seen_pull);
    const inserted = Number(r.lastInsertRowid);
    this.nextSeqCache = inserted + 1;
    return { seq: inserted, ...row };
  }

  /**
   * The next AUTOINCREMENT value (never reuses a deleted row's number). Cached
   * after each insert; a rolled-back insert only leaves a gap.
   */
  private nextSeq(): number {
    if (this.nextSeqCache !== null) return this.nextSeqCache;
    const row = this.runner.sqlite.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'queue_items'").get() as
      | { seq: number }
      | undefined;
    return (row?.seq ?? 0) + 1;
  }

  /**
   * The pending item a take hands out next: the first in queue order (call
   * inside the write that takes it).
   */
  nextPending(project: string, queue: string, order: OrderClause): QueueItemRow | undefined {
    return this.takeStatement(order).get(project, queue, ...order.params, 1) as QueueItemRow | undefined;
  }

  /** The first `limit` pending items in queue order (the next ones a take gets). */
  nextPendingMany(project: string, queue: string, order: OrderClause, limit: number): QueueItemRow[] {
    return this.takeStatement(order).all(project, queue, ...order.params, limit) as QueueItemRow[];
  }

  private takeStatement(order: OrderClause): BetterSqlite3.Statement {
    // Prepared once per order (plain SQL: it runs once per item a worker takes). The
    // order's SQL holds only fixed fragments; field paths are bound parameters.
    let stmt = this.takeStatements.get(order.sql);
    if (!stmt) {
      stmt = this.runner.sqlite.prepare(takeSql(order));
      this.takeStatements.set(order.sql, stmt);
    }
    return stmt;
  }

  private readonly takeStatements = new Map<string, BetterSqlite3.Statement>();

  /** Updates columns of one row (one prepared statement per set of columns). */
  update(seq: number, set: Omit<Updateable<QueueItemsTable>, 'seq'>): void {
    const columns = Object.keys(set).filter((c) => set[c as keyof typeof set] !== undefined) as (keyof typeof set)[];
    if (columns.length === 0) return;
    for (const c of columns) if (!ITEM_COLUMNS.has(c)) throw new Error(`not a queue item column: ${c}`);
    const stmt = this.prepared(`UPDATE queue_items SET ${columns.map((c) => `${c} = ?`).join(', ')} WHERE seq = ?`);
    stmt.run(...columns.map((c) => set[c] as string | number | null), seq);
  }

  delete(seq: number): void {
    this.runner.run(this.db.deleteFrom('queue_items').where('seq', '=', seq));
  }

  /** Items in display order: pending as they would be taken, then taken, dead, completed, abandoned. */
  list(f: ItemFilter, order: OrderClause | null): QueueItemRow[] {
    let q = this.db.selectFrom('queue_items').selectAll().where('project', '=', f.project);
    if (f.queue !== undefined) q = q.where('queue', '=', f.queue);
    if (f.statuses?.length) q = q.where('status', 'in', f.statuses);
    q = q.orderBy(
      sql`CASE status WHEN 'pending' THEN 0 WHEN 'taken' THEN 1 WHEN 'dead' THEN 2 WHEN 'completed' THEN 3 ELSE 4 END`,
    );
    if (f.queue === undefined) q = q.orderBy('queue');
    if (order) for (const t of order.terms) q = q.orderBy(t.expr, t.direction);
    else q = q.orderBy('created_at').orderBy('seq');
    if (f.limit) q = q.limit(f.limit);
    return this.runner.all(q) as QueueItemRow[];
  }

  countByStatus(project: string | null, queue?: string): Record<string, number> {
    let q = this.db.selectFrom('queue_items').select(['status', (eb) => eb.fn.countAll<number>().as('n')]);
    if (project !== null) q = q.where('project', '=', project);
    if (queue !== undefined) q = q.where('queue', '=', queue);
    const out: Record<string, number> = {};
    for (const r of this.runner.all(q.groupBy('status'))) out[r.status] = Number(r.n);
    return out;
  }

  pendingCount(project: string, queue: string): number {
    const r = this.runner.first(
      this.db
        .selectFrom('queue_items')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('project', '=', project)
        .where('queue', '=', queue)
        .where('status', '=', 'pending'),
    );
    return Number(r?.n ?? 0);
  }

  /** Whether any item of the queue is pending: one index entry read, where counting reads them all. */
  hasPending(project: string, queue: string): boolean {
    return this.prepared("SELECT 1 FROM queue_items WHERE project = ? AND queue = ? AND status = 'pending' LIMIT 1").get(project, queue) !== undefined;
  }

  /** Projects with pending, taken or dead items (read from the index of live items only). */
  projectsWithLiveItems(): string[] {
    const rows = this.prepared(
      "SELECT DISTINCT project FROM queue_items INDEXED BY queue_items_live_id WHERE status IN ('pending', 'taken', 'dead')",
    ).all() as { project: string }[];
    return rows.map((r) => r.project);
  }

  /** Items a worker's pipelines hold. */
  takenByWorker(project: string, worker: string): QueueItemRow[] {
    return this.runner.all(
      this.db
        .selectFrom('queue_items')
        .selectAll()
        .where('project', '=', project)
        .where('worker', '=', worker)
        .where('status', '=', 'taken'),
    ) as QueueItemRow[];
  }

  /**
   * A worker's pipelines under way, whether or not they still hold an item
   * (one completed by hand keeps running): what its concurrency counts.
   */
  activePipelinesOfWorker(project: string, worker: string): number {
    const r = this.runner.first(
      this.db
        .selectFrom('pipelines')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('project', '=', project)
        .where('status', 'in', ACTIVE_STATUSES)
        .where(sql<string>`json_extract(owner, '$.kind')`, '=', 'queue_item')
        .where(sql<string>`json_extract(owner, '$.worker')`, '=', worker),
    );
    return Number(r?.n ?? 0);
  }

  /** How many slots a worker's work occupies: its pipelines under way, or the items held for it if more. */
  inFlight(project: string, worker: string): number {
    return Math.max(this.activePipelinesOfWorker(project, worker), this.countTakenByWorker(project, worker));
  }

  countTakenByWorker(project: string, worker: string): number {
    const r = this.runner.first(
      this.db
        .selectFrom('queue_items')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('project', '=', project)
        .where('worker', '=', worker)
        .where('status', '=', 'taken'),
    );
    return Number(r?.n ?? 0);
  }

  /** Every taken item (for the reconcile pass). */
  allTaken(): QueueItemRow[] {
    return this.runner.all(this.db.selectFrom('queue_items').selectAll().where('status', '=', 'taken')) as QueueItemRow[];
  }

  /** Taken items whose visibility deadline has passed (of the projects `only` names; undefined: all). */
  overdue(now: number, only?: readonly string[]): QueueItemRow[] {
    if (only?.length === 0) return [];
    let q = this.db.selectFrom('queue_items').selectAll().where('status', '=', 'taken').where('visible_at', '<=', now);
    if (only) q = q.where('project', 'in', only);
    return this.runner.all(q.orderBy('visible_at')) as QueueItemRow[];
  }

  nextVisibleAt(only?: readonly string[]): number | null {
    if (only?.length === 0) return null;
    let q = this.db
      .selectFrom('queue_items')
      .select((eb) => eb.fn.min<number>('visible_at').as('t'))
      .where('status', '=', 'taken');
    if (only) q = q.where('project', 'in', only);
    const r = this.runner.first(q);
    return r?.t ?? null;
  }

  nextExpiry(): number | null {
    const r = this.runner.first(
      this.db
        .selectFrom('queue_items')
        .select((eb) => eb.fn.min<number>('expires_at').as('t'))
        .where('expires_at', 'is not', null),
    );
    return r?.t ?? null;
  }

  /** Deletes items whose retention has passed; returns how many went, by queue. */
  /** Deletes the items whose retention passed (of the projects `only` names; undefined: all). */
  prune(now: number, only?: readonly string[]): { project: string; queue: string; id: string; status: QueueItemRow['status'] }[] {
    if (only?.length === 0) return [];
    let select = this.db.selectFrom('queue_items').select(['project', 'queue', 'id', 'status']).where('expires_at', 'is not', null).where('expires_at', '<=', now);
    let del = this.db.deleteFrom('queue_items').where('expires_at', 'is not', null).where('expires_at', '<=', now);
    if (only) {
      select = select.where('project', 'in', only);
      del = del.where('project', 'in', only);
    }
    const gone = this.runner.all(select);
    if (gone.length) this.runner.run(del);
    return gone;
  }

  /** Marks live source items listed by a pull (generation `gen`). */
  markSeen(seq: number, gen: number): void {
    this.runner.run(this.db.updateTable('queue_items').set({ seen_pull: gen }).where('seq', '=', seq));
  }

  // attempts

  startAttempt(a: Omit<Insertable<QueueAttemptsTable>, 'id'>): void {
    this.prepared(
      'INSERT INTO queue_attempts (item_seq, attempt, taken_at, taken_by, worker, ended_at, outcome, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    ).run(a.item_seq, a.attempt, a.taken_at, a.taken_by ?? null, a.worker ?? null, a.ended_at ?? null, a.outcome, a.error ?? null);
  }

  endAttempt(itemSeq: number, attempt: number, outcome: QueueAttemptRow['outcome'], error: string | null, now: number): void {
    this.prepared(
      "UPDATE queue_attempts SET outcome = ?, error = ?, ended_at = ? WHERE item_seq = ? AND attempt = ? AND outcome = 'running'",
    ).run(outcome, error, now, itemSeq, attempt);
  }

  attempts(itemSeq: number): QueueAttemptRow[] {
    return this.runner.all(
      this.db.selectFrom('queue_attempts').selectAll().where('item_seq', '=', itemSeq).orderBy('attempt').orderBy('id'),
    ) as QueueAttemptRow[];
  }

  // source pulls

  source(project: string, queue: string): { pull_gen: number; last_pull_at: number | null; last_error: string | null } {
    const r = this.runner.first(
      this.db.selectFrom('queue_sources').selectAll().where('project', '=', project).where('queue', '=', queue),
    );
    return r ?? { pull_gen: 0, last_pull_at: null, last_error: null };
  }

  saveSource(project: string, queue: string, pullGen: number, at: number, error: string | null): void {
    this.runner.run(
      this.db
        .insertInto('queue_sources')
        .values({ project, queue, pull_gen: pullGen, last_pull_at: at, last_error: error })
        .onConflict((oc) => oc.columns(['project', 'queue']).doUpdateSet({ pull_gen: pullGen, last_pull_at: at, last_error: error })),
    );
  }
}
