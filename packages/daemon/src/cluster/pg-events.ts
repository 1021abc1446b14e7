/**
 * Events across the hosts of a cluster. Each host keeps its own event log
 * (its SQLite) and publishes it to the shared `cluster_events` table: after
 * each local commit, the events past its cursor go in one transaction (hosts
 * take turns under a transaction-scoped advisory lock, so the table's `seq`
 * order is its commit order) with a NOTIFY whose payload points at the last
 * one. A host reading what is new (`seq` past the last it read) therefore
 * never skips a row that commits later, and loses nothing while its
 * listening connection is down: it reads again when it is back, and polls
 * meanwhile. Another host's event is delivered to this host's followers
 * that ask for them (workers' and guards' `wake_on`), never appended here.
 *
 * Publishing is at least once (a crash between the shared commit and the
 * local cursor's update publishes a batch again): the row's (origin,
 * local_id) makes a repeat a no-op; `origin` names this state dir's log, so
 * a host id reused with a fresh state dir does not collide with its past.
 */
import { randomUUID } from 'node:crypto';
import type { ClusterEventRecord } from '@oj/protocol';
import type { Kysely, Selectable } from 'kysely';
import type { Logger } from 'winston';
import { sql } from '../storage/kysely.js';
import type { ClusterEventFilter, LocalEventFeed, SharedEvents } from '../storage/shared-store.js';
import type { Storage } from '../storage/storage.js';
import type { PgClusterEventsTable, PgDatabase } from './pg-schema.js';
import type { ProjectNames } from './project-names.js';

export const EVENT_CHANNEL = 'oj_event';
const BATCH = 500;
const RETRY_MS = [200, 500, 1000, 2000, 5000];
const ORIGIN_KEY = 'cluster_events_origin';
const CURSOR_KEY = 'cluster_events_published';

export interface PgEventsDeps {
  db: Kysely<PgDatabase>;
  storage: Storage;
  hostId: string;
  names: ProjectNames;
  logger: Logger;
  guard<T>(fn: () => Promise<T>): Promise<T>;
}

/** Runs one pass at a time; a call meanwhile runs one more pass after it. */
class Coalesced {
  private running: Promise<void> | null = null;
  private again = false;

  constructor(private readonly pass: () => Promise<void>) {}

  run(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.pass().finally(() => {
      this.running = null;
      if (this.again) {
        this.again = false;
        void this.run();
      }
    });
    return this.running;
  }

  settled(): Promise<void> {
    return this.running ?? Promise.resolve();
  }
}

export class PgEvents implements SharedEvents {
  private feed: LocalEventFeed | null = null;
  private unfollow: (() => void) | null = null;
  private origin = '';
  /** The last local event id published. */
  private cursor = 0;
  /** The last shared seq read. */
  private lastSeen = 0;
  private started = false;
  private closed = false;
  private failures = 0;
  private retryTimer: NodeJS.Timeout | null = null;
  private readonly publisher = new Coalesced(() => this.publishPass());
  private readonly reader = new Coalesced(() => this.readPass());

  constructor(private readonly d: PgEventsDeps) {}

  /** Whose events to publish, and where other hosts' go. */
  share(feed: LocalEventFeed): void {
    this.feed = feed;
  }

  /** Reads (or makes) this log's origin and cursor; other hosts' events from now on are delivered. */
  async start(): Promise<void> {
    const feed = this.feed;
    if (!feed || this.started) return;
    this.started = true;
    const { storage } = this.d;
    this.origin = this.meta(ORIGIN_KEY) ?? '';
    if (!this.origin) {
      this.origin = randomUUID();
      this.setMeta(ORIGIN_KEY, this.origin);
    }
    const cursor = this.meta(CURSOR_KEY);
    // The first start in a cluster publishes from now on, not the history before it.
    this.cursor = cursor === undefined ? storage.events.lastId() : Number(cursor);
    if (cursor === undefined) this.setMeta(CURSOR_KEY, String(this.cursor));
    const top = await this.d.guard(() => this.d.db.selectFrom('cluster_events').select((eb) => eb.fn.max('seq').as('top')).executeTakeFirst());
    this.lastSeen = Number(top?.top ?? 0);
    this.unfollow = feed.follow({ deliver: () => void this.publish() });
    void this.publish();
  }

  /** Publishes what the local log has past the cursor. */
  publish(): Promise<void> {
    if (this.closed || !this.started) return Promise.resolve();
    return this.publisher.run();
  }

  /** Reads (and delivers) other hosts' events past the last one read. */
  read(): Promise<void> {
    if (this.closed || !this.started) return Promise.resolve();
    return this.reader.run();
  }

  /** A NOTIFY on EVENT_CHANNEL: another host published up to a seq. */
  notified(payload: string | undefined): void {
    try {
      const p = JSON.parse(payload ?? '') as { h?: unknown; s?: unknown };
      if (p.h === this.d.hostId || (typeof p.s === 'number' && p.s <= this.lastSeen)) return;
    } catch {
      // not ours to parse: read anyway
    }
    void this.read();
  }

  private async publishPass(): Promise<void> {
    const { storage, db, hostId, names } = this.d;
    for (;;) {
      if (this.closed) return;
      const rows = storage.runner.all(storage.db.selectFrom('events').selectAll().where('id', '>', this.cursor).orderBy('id').limit(BATCH));
      if (rows.length === 0) return;
      const values = rows.map((r) => ({
        host: hostId,
        origin: this.origin,
        local_id: r.id,
        project: r.project === null ? null : names.identity(r.project),
        name: r.name,
        subject: r.subject,
        data: r.data,
        time: r.time,
      }));
      try {
        await this.d.guard(() =>
          db.transaction().execute(async (trx) => {
            await sql`SELECT pg_advisory_xact_lock(hashtext('oj cluster events'))`.execute(trx);
            const ins = await trx
              .insertInto('cluster_events')
              .values(values)
              .onConflict((oc) => oc.columns(['origin', 'local_id']).doNothing())
              .returning('seq')
              .execute();
            const top = ins.reduce((m, r) => Math.max(m, r.seq), 0);
            if (top > 0) await sql`SELECT pg_notify(${EVENT_CHANNEL}, ${JSON.stringify({ h: hostId, s: top })})`.execute(trx);
          }),
        );
      } catch (err) {
        this.retryLater('events not shared yet; trying again', err);
        return;
      }
      this.failures = 0;
      this.cursor = rows[rows.length - 1]!.id;
      try {
        this.setMeta(CURSOR_KEY, String(this.cursor));
      } catch (err) {
        // The disk refused it: a later batch records it (a repeat after a crash is a no-op).
        this.d.logger.warn('event publication cursor not saved', { error: String(err) });
      }
    }
  }

  private async readPass(): Promise<void> {
    const feed = this.feed;
    if (!feed) return;
    for (;;) {
      if (this.closed) return;
      let rows: Selectable<PgClusterEventsTable>[];
      try {
        const after = this.lastSeen;
        rows = await this.d.guard(() =>
          this.d.db.selectFrom('cluster_events').selectAll().where('seq', '>', after).where('host', '<>', this.d.hostId).orderBy('seq').limit(BATCH).execute(),
        );
      } catch (err) {
        this.retryLater('other hosts\' events not read yet; trying again', err);
        return;
      }
      if (rows.length === 0) return;
      this.lastSeen = rows[rows.length - 1]!.seq;
      for (const r of rows) {
        try {
          feed.deliverRemote(this.record(r));
        } catch (err) {
          this.d.logger.warn('a follower of another host\'s event failed', { event: r.name, host: r.host, error: String(err) });
        }
      }
      if (rows.length < BATCH) return;
    }
  }

  private retryLater(message: string, err: unknown): void {
    const wait = RETRY_MS[Math.min(this.failures++, RETRY_MS.length - 1)]!;
    this.d.logger.warn(message, { error: String(err), retryInMs: wait });
    if (this.retryTimer || this.closed) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.publish();
      void this.read();
    }, wait);
    this.retryTimer.unref();
  }

  private record(r: Selectable<PgClusterEventsTable>): ClusterEventRecord {
    return {
      id: r.local_id,
      seq: r.seq,
      host: r.host,
      name: r.name,
      subject: r.subject,
      project: r.project === null ? null : (this.d.names.root(r.project) ?? r.project),
      data: JSON.parse(r.data) as ClusterEventRecord['data'],
      time: new Date(r.time).toISOString(),
    };
  }

  async list(f: ClusterEventFilter): Promise<{ events: ClusterEventRecord[]; lastSeq: number }> {
    const limit = f.limit ?? 100;
    return this.d.guard(async () => {
      let q = this.d.db.selectFrom('cluster_events').selectAll();
      // Patterns are [A-Za-z0-9_.:/*-]: `_` is LIKE's one-character wildcard, so it is escaped; `*` is any run.
      if (f.name) q = q.where(sql<boolean>`name LIKE ${f.name.replaceAll('_', '\\_').replaceAll('*', '%')} ESCAPE '\\'`);
      if (f.project) q = q.where('project', '=', this.d.names.identity(f.project));
      let rows: Selectable<PgClusterEventsTable>[];
      if (f.since !== undefined) {
        rows = await q.where('seq', '>', f.since).orderBy('time').orderBy('seq').limit(limit).execute();
      } else {
        rows = (await q.orderBy('time', 'desc').orderBy('seq', 'desc').limit(limit).execute()).reverse();
      }
      const top = await this.d.db.selectFrom('cluster_events').select((eb) => eb.fn.max('seq').as('top')).executeTakeFirst();
      return { events: rows.map((r) => this.record(r)), lastSeq: Number(top?.top ?? 0) };
    });
  }

  async prune(before: number | null, max: number | null): Promise<number> {
    return this.d.guard(async () => {
      let n = 0;
      if (before !== null) n += Number((await this.d.db.deleteFrom('cluster_events').where('time', '<', before).executeTakeFirst()).numDeletedRows);
      if (max !== null) {
        const cut = await this.d.db.selectFrom('cluster_events').select('seq').orderBy('seq', 'desc').offset(max).limit(1).executeTakeFirst();
        if (cut) n += Number((await this.d.db.deleteFrom('cluster_events').where('seq', '<=', cut.seq).executeTakeFirst()).numDeletedRows);
      }
      return n;
    });
  }

  private meta(key: string): string | undefined {
    const { storage } = this.d;
    return storage.runner.first(storage.db.selectFrom('meta').select('value').where('key', '=', key))?.value;
  }

  private setMeta(key: string, value: string): void {
    const { storage } = this.d;
    storage.write(() =>
      storage.runner.run(storage.db.insertInto('meta').values({ key, value }).onConflict((oc) => oc.column('key').doUpdateSet({ value }))),
    );
  }

  async close(): Promise<void> {
    // What was recorded up to now goes out first (a failure leaves it for the next start).
    await this.publish().catch(() => {});
    this.closed = true;
    this.unfollow?.();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    await Promise.all([this.publisher.settled(), this.reader.settled()]);
  }
}
