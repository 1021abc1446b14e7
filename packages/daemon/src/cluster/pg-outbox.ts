/**
 * Changes to shared rows that a local transaction decided (an item settled
 * by the transaction that ends its pipeline): recorded in the local
 * `shared_outbox` inside that transaction, applied to PostgreSQL after it
 * commits, and deleted once applied. Applying is at least once (after a
 * crash, or when the database was away, an entry is applied again), so each
 * entry's decision must be idempotent: the item lifecycle ignores the end of
 * a pipeline that no longer holds the item (its attempt number and holder).
 */
import type { JsonValue } from '@oj/protocol';
import type { Logger } from 'winston';
import type { Storage } from '../storage/storage.js';

const RETRY_MS = [200, 500, 1000, 2000, 5000];

export class PgOutbox {
  private apply: ((seq: number, payload: JsonValue) => Promise<void>) | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private failures = 0;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    private readonly storage: Storage,
    private readonly logger: Logger,
  ) {}

  /** Who applies an entry (the shared queues). */
  setApplier(apply: (seq: number, payload: JsonValue) => Promise<void>): void {
    this.apply = apply;
  }

  /** Inside the caller's local write: records the entry; it is applied once that write commits. */
  add(seq: number, payload: JsonValue): void {
    const { db, runner } = this.storage;
    this.storage.write(() => {
      runner.run(db.insertInto('shared_outbox').values({ seq, payload: JSON.stringify(payload), created_at: this.storage.now() }));
      this.storage.afterCommit(() => this.flush());
    });
  }

  pending(): number {
    const { db, runner } = this.storage;
    return Number(runner.first(db.selectFrom('shared_outbox').select((eb) => eb.fn.countAll<number>().as('n')))?.n ?? 0);
  }

  /** Applies every entry, oldest first; on failure tries again later (backing off). Resolves when this pass ends. */
  flush(): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.pass().finally(() => {
      this.running = null;
      if (this.again) {
        this.again = false;
        void this.flush();
      }
    });
    return this.running;
  }

  private async pass(): Promise<void> {
    const apply = this.apply;
    if (!apply) return;
    const { db, runner } = this.storage;
    const rows = runner.all(db.selectFrom('shared_outbox').selectAll().orderBy('id'));
    for (const r of rows) {
      if (this.closed) return;
      try {
        await apply(r.seq, JSON.parse(r.payload) as JsonValue);
      } catch (err) {
        const wait = RETRY_MS[Math.min(this.failures++, RETRY_MS.length - 1)]!;
        this.logger.warn('shared change not applied yet; trying again', { item: r.seq, error: String(err), retryInMs: wait });
        this.retryIn(wait);
        return;
      }
      this.failures = 0;
      this.storage.write(() => runner.run(db.deleteFrom('shared_outbox').where('id', '=', r.id)));
    }
  }

  private retryIn(ms: number): void {
    if (this.timer || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.flush();
    }, ms);
    this.timer.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }
}
