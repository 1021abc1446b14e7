/**
 * The leader lease in PostgreSQL (cluster mode): the shell around
 * core/cluster/leader-lease.ts. Each heartbeat loads the one `leader` row
 * under a row lock with the database's clock, steps the lease and writes it
 * back in one transaction. This host leads from a renewal until the lease
 * would lapse by its own clock (leadsUntil): a leader that cannot renew
 * stops leading before another host may take over. Changes of leadership
 * (and the events to record) go to the listeners after the commit.
 */
import type { Kysely } from 'kysely';
import type { Logger } from 'winston';
import { leadsUntil, stepLease, type Lease, type LeaseEvent, type LeaseTransition } from '../core/cluster/leader-lease.js';
import { sql } from '../storage/kysely.js';
import type { LeaderInfo, Leadership, LeadershipChange } from '../storage/shared-store.js';
import type { PgDatabase } from './pg-schema.js';

export interface PgLeaderDeps {
  db: Kysely<PgDatabase>;
  hostId: string;
  ttlMs: number;
  logger: Logger;
  now(): number;
  guard<T>(fn: () => Promise<T>): Promise<T>;
}

export class PgLeader implements Leadership {
  private leading = false;
  private readonly listeners = new Set<(c: LeadershipChange) => void>();
  private lapse: NodeJS.Timeout | null = null;

  /** With the heartbeat. */
  readonly lookEveryMs: number;

  constructor(private readonly d: PgLeaderDeps) {
    this.lookEveryMs = Math.max(100, Math.floor(d.ttlMs / 3));
  }

  leads(): boolean {
    return this.leading;
  }

  onChange(cb: (c: LeadershipChange) => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  /** With the heartbeat: renews the lease this host holds, or takes one that lapsed. */
  async beat(): Promise<void> {
    const before = this.d.now();
    const { t, dbNow } = await this.step({ type: 'beat', host: this.d.hostId, ttlMs: this.d.ttlMs });
    if (t.leads && t.lease) this.lead(leadsUntil(t.lease, dbNow, before) - this.d.now(), t);
    else this.follow(t);
  }

  /** At stop: gives up the lease this host holds, so another host takes over at its next beat. */
  async resign(): Promise<void> {
    this.clearLapse();
    if (!this.leading) return;
    const { t } = await this.step({ type: 'resign', host: this.d.hostId });
    this.follow(t);
  }

  async info(): Promise<LeaderInfo | null> {
    return this.d.guard(async () => {
      const row = await this.d.db.selectFrom('leader').selectAll().where('id', '=', 1).executeTakeFirst();
      if (!row || row.term === 0) return null;
      const dbNow = await dbClock(this.d.db);
      return { host: row.host, term: row.term, since: row.since, expiresAt: row.expires_at, held: row.expires_at > dbNow };
    });
  }

  close(): void {
    this.clearLapse();
    this.leading = false;
  }

  private async step(e: LeaseEvent): Promise<{ t: LeaseTransition; dbNow: number }> {
    return this.d.guard(() =>
      this.d.db.transaction().execute(async (trx) => {
        // A lease renewed must stay renewed through a crash of the database: this commit waits for the disk.
        await sql`SET LOCAL synchronous_commit = on`.execute(trx);
        // The row exists from the first beat on (a lease nobody ever held: term 0).
        await trx.insertInto('leader').values({ id: 1, host: '', term: 0, since: 0, expires_at: 0 }).onConflict((oc) => oc.doNothing()).execute();
        const row = await trx.selectFrom('leader').selectAll().where('id', '=', 1).forUpdate().executeTakeFirstOrThrow();
        const dbNow = await dbClock(trx);
        const lease: Lease | null = row.term === 0 ? null : { host: row.host, term: row.term, since: row.since, expiresAt: row.expires_at };
        const t = stepLease(lease, e, dbNow);
        if (t.lease && t.lease !== lease) {
          await trx.updateTable('leader').set({ host: t.lease.host, term: t.lease.term, since: t.lease.since, expires_at: t.lease.expiresAt }).where('id', '=', 1).execute();
        }
        return { t, dbNow };
      }),
    );
  }

  private lead(forMs: number, t: LeaseTransition): void {
    this.clearLapse();
    if (forMs <= 0) return this.follow(t);
    const was = this.leading;
    this.leading = true;
    // Not renewed by then (the database is away, this daemon is stuck): no longer the leader.
    this.lapse = setTimeout(() => {
      this.lapse = null;
      this.d.logger.warn('cluster leader lease not renewed in time; no longer leading');
      this.follow({ lease: null, leads: false, events: [] });
    }, forMs);
    this.lapse.unref();
    if (!was || t.events.length) this.tell({ leads: true, events: t.events });
    if (!was) this.d.logger.info('this host leads the cluster', { term: t.lease?.term });
  }

  private follow(t: LeaseTransition): void {
    this.clearLapse();
    const was = this.leading;
    this.leading = false;
    if (was || t.events.length) this.tell({ leads: false, events: t.events });
  }

  private clearLapse(): void {
    if (this.lapse) clearTimeout(this.lapse);
    this.lapse = null;
  }

  private tell(c: LeadershipChange): void {
    for (const l of this.listeners) {
      try {
        l(c);
      } catch (err) {
        this.d.logger.warn('leadership listener failed', { error: String(err) });
      }
    }
  }
}

/** The database's clock (epoch ms): the one every host reads alike. */
async function dbClock(db: Kysely<PgDatabase>): Promise<number> {
  const r = await sql<{ t: number }>`SELECT (extract(epoch from clock_timestamp()) * 1000)::bigint AS t`.execute(db);
  return Number(r.rows[0]!.t);
}
