/**
 * The shared store on PostgreSQL (cluster mode): queue items (pg-queues.ts),
 * cron slot claims (pg-crons.ts), and this daemon's place in the cluster: a
 * `hosts` row it heartbeats (a host silent past its lease is gone: its taken
 * items go back to their queues), the leader lease renewed with it
 * (pg-leader.ts), group commit (pg-durability.ts), a listening connection for the other hosts'
 * notices (LISTEN/NOTIFY) that falls back to polling while it is down and
 * reconnects with backoff, and the outbox of locally decided changes.
 */
import { OjError } from '@oj/protocol';
import type { Kysely } from 'kysely';
import type pg from 'pg';
import type { Logger } from 'winston';
import type { HostInfo, ItemNotice, LocalEventFeed, SharedStore } from '../storage/shared-store.js';
import type { Storage } from '../storage/storage.js';
import { connectPg, isConnectionError, pgClient, unavailable, type PgConnection } from './pg-connection.js';
import { PgCrons } from './pg-crons.js';
import { PgDurability } from './pg-durability.js';
import { PgLeader } from './pg-leader.js';
import { PgSettings, SETTING_CHANNEL } from './pg-settings.js';
import { migratePg } from './pg-migrations.js';
import { EVENT_CHANNEL, PgEvents } from './pg-events.js';
import { PgOutbox } from './pg-outbox.js';
import { NOTIFY_CHANNEL, parseNotice } from './pg-item-writes.js';
import { PgQueues } from './pg-queues.js';
import { GRANT_CHANNEL, parseGrant, PgResources } from './pg-resources.js';
import type { ResourceKey } from '../storage/resource-store.js';
import type { PgDatabase } from './pg-schema.js';
import type { ProjectNames } from './project-names.js';

export interface PgStoreOptions {
  url: string;
  hostId: string;
  storage: Storage;
  names: ProjectNames;
  logger: Logger;
  /** Silent longer than this, a host is gone (default 15 s). */
  leaseMs?: number;
  /** While not listening, look at every queue this often. */
  pollMs?: number;
}

export const DEFAULT_LEASE_MS = 15_000;
const SLOT_PRUNE_EVERY_MS = 3600_000;
const RECONNECT_MS = [250, 500, 1000, 2000, 5000];

export class PgSharedStore implements SharedStore {
  readonly kind = 'postgres' as const;
  readonly hostId: string;
  readonly queues: PgQueues;
  readonly crons: PgCrons;
  readonly resources: PgResources;
  readonly outbox: PgOutbox;
  readonly events: PgEvents;
  readonly durability: PgDurability;
  readonly leader: PgLeader;
  readonly settings: PgSettings;
  private readonly grantListeners = new Set<(key: ResourceKey, holder: string) => void>();
  private readonly conn: PgConnection;
  private readonly listeners = new Set<(n: ItemNotice | null) => void>();
  private readonly leaseMs: number;
  private readonly pollMs: number;
  private listenClient: pg.Client | null = null;
  private listening = false;
  private reconnects = 0;
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private pollTimer: NodeJS.Timeout | null = null;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private closed = false;
  private slotsPrunedAt = 0;
  private lastError: string | null = null;
  private readonly startedAt: number;

  private constructor(private readonly o: PgStoreOptions) {
    this.hostId = o.hostId;
    this.leaseMs = o.leaseMs ?? DEFAULT_LEASE_MS;
    this.pollMs = o.pollMs ?? Math.max(250, Math.floor(this.leaseMs / 5));
    this.startedAt = o.storage.now();
    this.conn = connectPg(o.url, (err) => this.poolError(err));
    this.outbox = new PgOutbox(o.storage, o.logger);
    const guard = <T>(fn: () => Promise<T>) => this.guard(fn);
    const host = { id: o.hostId, startedAt: this.startedAt, leaseMs: this.leaseMs, now: () => o.storage.now() };
    this.durability = new PgDurability(this.conn.db, host, guard);
    const committed = () => this.durability.committed();
    const deps = { db: this.conn.db, storage: o.storage, hostId: o.hostId, names: o.names, guard, committed };
    this.queues = new PgQueues({ ...deps, outbox: this.outbox });
    this.resources = new PgResources({ ...deps, outbox: this.outbox });
    this.events = new PgEvents({ db: this.conn.db, storage: o.storage, hostId: o.hostId, names: o.names, logger: o.logger, guard });
    this.outbox.setApplier('item', (seq, payload) => this.queues.applySettled(seq, payload));
    this.outbox.setApplier('release', (_seq, payload) => this.resources.applySettled(payload));
    this.outbox.setDurable(() => this.makeDurable());
    this.crons = new PgCrons({ ...deps, leaseMs: this.leaseMs });
    this.settings = new PgSettings({ ...deps, logger: o.logger });
    this.leader = new PgLeader({ db: this.conn.db, hostId: o.hostId, names: o.names, ttlMs: this.leaseMs, logger: o.logger, now: () => o.storage.now(), guard });
  }

  /** Connects and brings the shared schema up to date (refusing a newer one). */
  static async open(o: PgStoreOptions): Promise<PgSharedStore> {
    const s = new PgSharedStore(o);
    try {
      const applied = await migratePg(s.conn.db);
      if (applied.length) o.logger.info('cluster database schema migrated', { versions: applied });
    } catch (err) {
      await s.conn.db.destroy().catch(() => {});
      throw isConnectionError(err) ? unavailable(o.url, err, true, true) : err;
    }
    return s;
  }

  identity(root: string): string {
    return this.o.names.identity(root);
  }

  get db(): Kysely<PgDatabase> {
    return this.conn.db;
  }

  get reachable(): boolean {
    return this.lastError === null;
  }

  private poolError(err: Error): void {
    this.o.logger.warn('cluster database connection lost', { error: err.message });
  }

  /** Runs a shared call; a lost connection becomes a clear `unavailable` error. */
  async guard<T>(fn: () => Promise<T>): Promise<T> {
    try {
      const r = await fn();
      if (this.lastError !== null) {
        this.lastError = null;
        this.o.logger.info('cluster database reachable again');
      }
      return r;
    } catch (err) {
      if (!isConnectionError(err)) throw err;
      this.lastError = String(err);
      throw unavailable(this.o.url, err);
    }
  }

  shareEvents(feed: LocalEventFeed): void {
    this.events.share(feed);
  }

  /** Every shared commit this daemon made so far is durable once this resolves (group commit: pg-durability.ts). */
  async makeDurable(): Promise<void> {
    try {
      await this.durability.makeDurable();
    } catch (err) {
      const cause = err instanceof OjError && typeof err.data.reason === 'string' ? err.data.reason : err;
      throw unavailable(this.o.url, cause, false);
    }
  }

  onRemoteChange(cb: (n: ItemNotice | null) => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  onRemoteGrant(cb: (key: ResourceKey, holder: string) => void): () => void {
    this.grantListeners.add(cb);
    return () => this.grantListeners.delete(cb);
  }

  private granted(payload: string | undefined): void {
    const g = parseGrant(payload);
    if (!g || g.host !== this.hostId) return;
    const project = this.o.names.root(g.identity);
    if (project === undefined) return;
    for (const l of this.grantListeners) {
      try {
        l({ kind: g.kind, project, resource: g.resource }, g.holder);
      } catch (err) {
        this.o.logger.warn('cluster grant listener failed', { error: String(err) });
      }
    }
  }

  private tell(n: ItemNotice | null): void {
    for (const l of this.listeners) {
      try {
        l(n);
      } catch (err) {
        this.o.logger.warn('cluster notice listener failed', { error: String(err) });
      }
    }
  }

  async start(): Promise<void> {
    await this.heartbeat().catch((err: unknown) => this.o.logger.warn('cluster heartbeat failed', { error: String(err) }));
    this.heartbeatTimer = setInterval(() => {
      this.heartbeat().catch((err: unknown) => this.o.logger.warn('cluster heartbeat failed', { error: String(err) }));
    }, Math.max(100, Math.floor(this.leaseMs / 3)));
    this.heartbeatTimer.unref();
    this.startPolling();
    await this.listen();
    await this.events.start();
    // What the last run left applied first: before holds are reconciled and pipelines re-run.
    await this.outbox.flush();
  }

  private async heartbeat(): Promise<void> {
    const now = this.o.storage.now();
    await this.guard(() =>
      this.conn.db
        .insertInto('hosts')
        .values({ host: this.hostId, started_at: this.startedAt, heartbeat_at: now, lease_ms: this.leaseMs })
        .onConflict((oc) => oc.column('host').doUpdateSet({ started_at: this.startedAt, heartbeat_at: now, lease_ms: this.leaseMs }))
        .execute(),
    );
    // Back in touch: apply what waited.
    if (this.outbox.pending()) void this.outbox.flush();
    // The leader lease goes with the heartbeat: renewed while this host leads, taken once it lapsed.
    await this.leader.beat();
    // The leader forgets old cron slot claims (hourly).
    if (this.leader.leadsAny() && now - this.slotsPrunedAt >= SLOT_PRUNE_EVERY_MS) {
      this.slotsPrunedAt = now;
      await this.crons.prune(now);
    }
  }

  /** LISTEN on a connection of its own; while it is down, poll (see startPolling) and reconnect with backoff. */
  private async listen(): Promise<void> {
    if (this.closed) return;
    const client = pgClient(this.o.url, `oj-listen ${this.hostId}`);
    const lost = (why: string) => {
      if (this.listenClient !== client) return;
      this.listenClient = null;
      this.listening = false;
      this.o.logger.warn('cluster notices lost; polling until reconnected', { error: why });
      client.end().catch(() => {});
      this.scheduleReconnect();
    };
    client.on('error', (err) => lost(err.message));
    client.on('end', () => lost('connection ended'));
    client.on('notification', (m) => {
      if (m.channel === EVENT_CHANNEL) {
        this.events.notified(m.payload);
        return;
      }
      if (m.channel === GRANT_CHANNEL) {
        this.granted(m.payload);
        return;
      }
      if (m.channel === SETTING_CHANNEL) {
        this.settings.heard(m.payload);
        return;
      }
      if (m.channel !== NOTIFY_CHANNEL) return;
      const n = parseNotice(m.payload);
      if (!n || n.host === this.hostId) return;
      const root = this.o.names.root(n.identity);
      if (root !== undefined) this.tell({ project: root, queue: n.queue, reason: n.reason, worker: null, takenFrom: n.takenFrom });
    });
    this.listenClient = client;
    try {
      await client.connect();
      await client.query(`LISTEN ${NOTIFY_CHANNEL}`);
      await client.query(`LISTEN ${GRANT_CHANNEL}`);
      await client.query(`LISTEN ${EVENT_CHANNEL}`);
      await client.query(`LISTEN ${SETTING_CHANNEL}`);
      this.listening = true;
      if (this.reconnects > 0) {
        this.o.logger.info('cluster notices back');
        // Whatever happened while away: look again.
        this.tell(null);
        void this.events.read();
        this.settings.heard(null);
      }
      this.reconnects = 0;
    } catch (err) {
      lost(String(err));
    }
  }

  private scheduleReconnect(): void {
    if (this.closed || this.reconnectTimer) return;
    const wait = RECONNECT_MS[Math.min(this.reconnects++, RECONNECT_MS.length - 1)]!;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      void this.listen();
    }, wait);
    this.reconnectTimer.unref();
  }

  /** The polling fallback: while not listening, every pollMs, every queue is looked at again. */
  private startPolling(): void {
    this.pollTimer = setInterval(() => {
      if (this.listening || this.closed) return;
      this.tell(null);
      void this.events.read();
    }, this.pollMs);
    this.pollTimer.unref();
  }

  async hosts(): Promise<HostInfo[]> {
    const now = this.o.storage.now();
    const rows = await this.guard(() =>
      this.conn.db
        .selectFrom('hosts as h')
        .selectAll('h')
        .select((eb) => [
          eb.selectFrom('queue_items as i').select(eb.fn.countAll<string>().as('n')).whereRef('i.host', '=', 'h.host').where('i.status', '=', 'taken').as('items'),
          eb.selectFrom('resource_holds as r').select(eb.fn.countAll<string>().as('n')).whereRef('r.host', '=', 'h.host').as('holds'),
        ])
        .orderBy('h.host')
        .execute(),
    );
    // count(*) comes back as a bigint's text.
    return rows.map((r) => ({ host: r.host, startedAt: r.started_at, heartbeatAt: r.heartbeat_at, gone: r.heartbeat_at + r.lease_ms <= now, items: Number(r.items ?? 0), holds: Number(r.holds ?? 0) }));
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of [this.heartbeatTimer, this.pollTimer, this.reconnectTimer]) if (t) clearTimeout(t);
    // Another host takes over at its next beat, not a lease later.
    await this.leader.resign().catch((err: unknown) => this.o.logger.warn('leader lease not given up', { error: String(err) }));
    this.leader.close();
    await this.outbox.close();
    await this.events.close();
    const c = this.listenClient;
    this.listenClient = null;
    if (c) await c.end().catch(() => {});
    await this.conn.db.destroy().catch(() => {});
  }
}
