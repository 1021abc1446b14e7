/**
 * Group commit on PostgreSQL. Shared transactions commit with
 * `synchronous_commit = off` (the pool's sessions: pg-connection.ts): the
 * commit returns without waiting for the WAL to reach the disk. Before
 * anything that depends on them leaves the daemon (a request's answer, an
 * outbox entry deleted as applied), one durable commit makes every commit
 * so far durable: a transaction with `synchronous_commit = on` that writes
 * this host's `durable_at` waits for the WAL up to its own commit record,
 * which comes after every earlier commit's. Callers waiting together share
 * one such commit. The same promise as Storage.makeDurable on SQLite.
 */
import type { Kysely } from 'kysely';
import { sql } from '../storage/kysely.js';
import { sharedCommitted } from '../storage/request-scope.js';
import type { PgDatabase } from './pg-schema.js';

export class PgDurability {
  /** Commits made so far (counted), and how many of them are known durable. */
  private made = 0;
  private durable = 0;
  private flushing: Promise<void> | null = null;

  constructor(
    private readonly db: Kysely<PgDatabase>,
    private readonly host: { id: string; startedAt: number; leaseMs: number; now(): number },
    private readonly guard: <T>(fn: () => Promise<T>) => Promise<T>,
  ) {}

  /** A shared transaction of this daemon committed (asynchronously). */
  committed(): void {
    this.made++;
    sharedCommitted();
  }

  /** Commits made but not yet known durable. */
  get pending(): number {
    return this.made - this.durable;
  }

  /** Resolves once every commit made before the call is durable; rejects (unavailable) when the database cannot say so. */
  async makeDurable(): Promise<void> {
    const target = this.made;
    while (this.durable < target) {
      if (!this.flushing) {
        const upTo = this.made;
        this.flushing = this.flush()
          .then(() => {
            this.durable = Math.max(this.durable, upTo);
          })
          .finally(() => {
            this.flushing = null;
          });
      }
      await this.flushing;
    }
  }

  private flush(): Promise<void> {
    const h = this.host;
    const now = h.now();
    return this.guard(() =>
      this.db.transaction().execute(async (trx) => {
        await sql`SET LOCAL synchronous_commit = on`.execute(trx);
        await trx
          .insertInto('hosts')
          .values({ host: h.id, started_at: h.startedAt, heartbeat_at: now, lease_ms: h.leaseMs, durable_at: now })
          .onConflict((oc) => oc.column('host').doUpdateSet({ durable_at: now }))
          .execute();
      }),
    );
  }
}
