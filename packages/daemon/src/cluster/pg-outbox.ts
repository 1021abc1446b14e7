/**
 * Changes to shared rows that a local transaction decided (an item settled
 * by the transaction that ends its pipeline; a lock or semaphore released by
 * the transaction that records its phase's outcome): recorded in the local
 * `shared_outbox` inside that transaction, applied to PostgreSQL after it
 * commits, and deleted once applied and durable. Applying is at least once (after a
 * crash, or when the database was away, an entry is applied again), so each
 * entry's decision must be idempotent: the item lifecycle ignores the end of
 * a pipeline that no longer holds the item (its attempt number and holder),
 * the grant machine a release by a phase run whose hold is gone or was taken
 * over by a later run of its pipeline.
 *
 * Fault points (fault-point.ts): `outbox:before-apply` (committed locally,
 * not applied), `outbox:after-apply` (applied, not yet deleted here).
 */
import type { JsonValue } from '@oj/protocol';
import type { Logger } from 'winston';
import { faultPoint } from '../fault-point.js';
import type { Storage } from '../storage/storage.js';

/** What an entry changes: a queue item (`seq` names it), or a phase run's release of a lock or semaphore. */
export type OutboxKind = 'item' | 'release';
type Applier = (seq: number, payload: JsonValue) => Promise<void>;

const RETRY_MS = [200, 500, 1000, 2000, 5000];

export class PgOutbox {
  private readonly appliers = new Map<OutboxKind, Applier>();
  private durable: () => Promise<void> = () => Promise.resolve();
  private running: Promise<void> | null = null;
  private again = false;
  private failures = 0;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    private readonly storage: Storage,
    private readonly logger: Logger,
  ) {}

  /** Who applies entries of a kind (the shared queues, the shared locks and semaphores). */
  setApplier(kind: OutboxKind, apply: Applier): void {
    this.appliers.set(kind, apply);
  }

  /** What makes the applied changes durable before their entries go (group commit). */
  setDurable(durable: () => Promise<void>): void {
    this.durable = durable;
  }

  /** Inside the caller's local write: records the entry; it is applied once that write commits. */
  add(kind: OutboxKind, seq: number, payload: JsonValue): void {
    const { db, runner } = this.storage;
    this.storage.write(() => {
      runner.run(db.insertInto('shared_outbox').values({ kind, seq, payload: JSON.stringify(payload), created_at: this.storage.now() }));
      this.storage.afterCommit(() => this.flush());
    });
  }

  /** Resolves once a pass that started after this call has ended: what was recorded before it has been applied (or tried). */
  async settled(): Promise<void> {
    await this.running?.catch(() => {});
    if (this.pending() === 0) return;
    await this.flush();
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
    const { db, runner } = this.storage;
    const rows = runner.all(db.selectFrom('shared_outbox').selectAll().orderBy('id'));
    const applied: number[] = [];
    try {
      for (const r of rows) {
        if (this.closed) break;
        const apply = this.appliers.get(r.kind);
        if (!apply) break;
        faultPoint('outbox:before-apply');
        await apply(r.seq, JSON.parse(r.payload) as JsonValue);
        faultPoint('outbox:after-apply');
        applied.push(r.id);
      }
      // An entry goes only once its change is durable (group commit): until then it is applied again if need be.
      if (applied.length) await this.durable();
    } catch (err) {
      const wait = RETRY_MS[Math.min(this.failures++, RETRY_MS.length - 1)]!;
      this.logger.warn('shared change not applied yet; trying again', { error: String(err), retryInMs: wait });
      this.retryIn(wait);
      return;
    }
    this.failures = 0;
    if (applied.length) this.storage.write(() => runner.run(db.deleteFrom('shared_outbox').where('id', 'in', applied)));
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
