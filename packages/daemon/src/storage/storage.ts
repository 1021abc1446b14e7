/**
 * The daemon's storage: one SQLite database, its tables' stores, and the
 * write-transaction discipline: `write(fn)` runs fn in one transaction, and
 * callbacks registered with `afterCommit` (notifying followers, waking
 * waiters) run only once it has committed, never for a rolled-back change.
 */
import { openDatabase, type OpenedDatabase } from './database.js';
import { EventStore } from './event-store.js';
import { PipelineStore } from './pipeline-store.js';

export class Storage {
  readonly events: EventStore;
  readonly pipelines: PipelineStore;
  private pending: (() => void)[] | null = null;

  private constructor(
    readonly database: OpenedDatabase,
    readonly now: () => number,
  ) {
    this.events = new EventStore(database, now);
    this.pipelines = new PipelineStore(database);
  }

  static open(path: string, now: () => number = Date.now): Storage {
    return new Storage(openDatabase(path), now);
  }

  get runner() {
    return this.database.runner;
  }

  get db() {
    return this.database.db;
  }

  /** Runs fn in one transaction (joining an enclosing one). */
  write<T>(fn: () => T): T {
    return this.writeWith(fn, false);
  }

  /**
   * Like write(), for a record that only matters while this machine keeps
   * running (a child's process group: a power loss ends the group too). Its
   * commit survives a crash of ojd but does not wait for the disk.
   */
  writeUnsynced<T>(fn: () => T): T {
    return this.writeWith(fn, true);
  }

  private writeWith<T>(fn: () => T, unsynced: boolean): T {
    if (this.pending) return fn();
    const pending: (() => void)[] = [];
    this.pending = pending;
    let result: T;
    try {
      result = unsynced ? this.runner.unsyncedTransaction(fn) : this.runner.transaction(fn);
    } finally {
      this.pending = null;
    }
    for (const cb of pending) cb();
    return result;
  }

  /** Runs cb after the current write commits (at once outside a write). */
  afterCommit(cb: () => void): void {
    if (this.pending) this.pending.push(cb);
    else cb();
  }

  close(): void {
    this.database.close();
  }
}
