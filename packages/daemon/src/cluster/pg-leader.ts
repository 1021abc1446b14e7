/**
 * The leader leases in PostgreSQL (cluster mode): the shell around
 * core/cluster/leader-lease.ts. A project's sweeps follow its runbooks
 * (the queue's rules, its locks' on_stale steps), which only the hosts that
 * serve it have: so each project (its cluster identity) has its own lease,
 * one row in `leases`, held by one of the hosts serving it. Each heartbeat
 * loads the rows of the projects this host serves under row locks (in one
 * order, so two hosts never deadlock), reads the database's clock, steps
 * each lease and writes the changed ones, in one durable transaction. This
 * host leads a project from a renewal until the lease would lapse by its
 * own clock (leadsUntil): a leader that cannot renew stops leading before
 * another host may take over. Gains (and the events to record) go to the
 * listeners after the commit.
 */
import type { Kysely } from 'kysely';
import type { Logger } from 'winston';
import { leadsUntil, stepLease, type Lease, type LeaseEvent, type LeaseTransition } from '../core/cluster/leader-lease.js';
import { sql } from '../storage/kysely.js';
import type { LeaderInfo, Leadership, LeadershipChange } from '../storage/shared-store.js';
import type { PgDatabase } from './pg-schema.js';
import type { ProjectNames } from './project-names.js';

export interface PgLeaderDeps {
  db: Kysely<PgDatabase>;
  hostId: string;
  names: ProjectNames;
  ttlMs: number;
  logger: Logger;
  now(): number;
  guard<T>(fn: () => Promise<T>): Promise<T>;
}

export class PgLeader implements Leadership {
  /** Per project identity this host leads: until when, by its own clock. */
  private readonly until = new Map<string, number>();
  private readonly listeners = new Set<(c: LeadershipChange) => void>();
  /** With the heartbeat. */
  readonly lookEveryMs: number;

  constructor(private readonly d: PgLeaderDeps) {
    this.lookEveryMs = Math.max(100, Math.floor(d.ttlMs / 3));
  }

  leads(project: string): boolean {
    return this.leadsIdentity(this.d.names.identity(project));
  }

  leadsAny(): boolean {
    for (const id of this.until.keys()) if (this.leadsIdentity(id)) return true;
    return false;
  }

  private leadsIdentity(identity: string): boolean {
    const u = this.until.get(identity);
    return u !== undefined && this.d.now() < u;
  }

  onChange(cb: (c: LeadershipChange) => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  /** With the heartbeat: renews the leases this host holds, takes those that lapsed, for every project it serves. */
  async beat(): Promise<void> {
    const ids = [...new Set(this.d.names.served().map((r) => this.d.names.identity(r)))].sort();
    if (!ids.length) return;
    const before = this.d.now();
    const { steps, dbNow } = await this.step(ids, { type: 'beat', host: this.d.hostId, ttlMs: this.d.ttlMs });
    for (const [identity, t] of steps) {
      const was = this.leadsIdentity(identity);
      if (t.leads && t.lease) this.until.set(identity, leadsUntil(t.lease, dbNow, before));
      else this.until.delete(identity);
      const now = this.leadsIdentity(identity);
      if (now && !was) this.d.logger.info('this host leads the project in the cluster', { project: identity, term: t.lease?.term });
      if (now !== was || t.events.length) this.tell(identity, now, t);
    }
  }

  /** At stop: gives up the leases this host holds, so other hosts take over at their next beat. */
  async resign(): Promise<void> {
    const ids = [...this.until.keys()].filter((id) => this.leadsIdentity(id)).sort();
    this.until.clear();
    if (!ids.length) return;
    const { steps } = await this.step(ids, { type: 'resign', host: this.d.hostId });
    for (const [identity, t] of steps) if (t.events.length) this.tell(identity, false, t);
  }

  async info(): Promise<LeaderInfo[]> {
    return this.d.guard(async () => {
      const rows = await this.d.db.selectFrom('leases').selectAll().where('term', '>', 0).orderBy('project').execute();
      const dbNow = await dbClock(this.d.db);
      return rows.map((r) => ({ project: r.project, host: r.host, term: r.term, since: r.since, expiresAt: r.expires_at, held: r.expires_at > dbNow }));
    });
  }

  close(): void {
    this.until.clear();
  }

  private async step(ids: string[], e: LeaseEvent): Promise<{ steps: Map<string, LeaseTransition>; dbNow: number }> {
    return this.d.guard(() =>
      this.d.db.transaction().execute(async (trx) => {
        // A lease renewed must stay renewed through a crash of the database: this commit waits for the disk.
        await sql`SET LOCAL synchronous_commit = on`.execute(trx);
        // A project's row exists from its first beat on (term 0: nobody held it yet).
        await trx.insertInto('leases').values(ids.map((project) => ({ project, host: '', term: 0, since: 0, expires_at: 0 }))).onConflict((oc) => oc.doNothing()).execute();
        const rows = await trx.selectFrom('leases').selectAll().where('project', 'in', ids).orderBy('project').forUpdate().execute();
        const dbNow = await dbClock(trx);
        const steps = new Map<string, LeaseTransition>();
        for (const row of rows) {
          const lease: Lease | null = row.term === 0 ? null : { host: row.host, term: row.term, since: row.since, expiresAt: row.expires_at };
          const t = stepLease(lease, e, dbNow);
          steps.set(row.project, t);
          if (!t.lease || t.lease === lease) continue;
          await trx
            .updateTable('leases')
            .set({ host: t.lease.host, term: t.lease.term, since: t.lease.since, expires_at: t.lease.expiresAt })
            .where('project', '=', row.project)
            .execute();
        }
        return { steps, dbNow };
      }),
    );
  }

  private tell(identity: string, leads: boolean, t: LeaseTransition): void {
    const project = this.d.names.root(identity);
    if (project === undefined) return;
    const events = t.events.map((e) => ({ name: e.name, data: { ...e.data, project: identity } }));
    for (const l of this.listeners) {
      try {
        l({ project, leads, events });
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
