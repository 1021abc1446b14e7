/**
 * The daemon's storage: one SQLite database, its tables' stores, and the
 * write-transaction discipline: `write(fn)` runs fn in one transaction, and
 * callbacks registered with `afterCommit` (notifying followers, waking
 * waiters) run only once it has committed, never for a rolled-back change.
 * A write refused for want of space (SQLite rolls it back) throws the
 * DiskFull error; `diskFull` tracks it (disk-full.ts).
 */
import { dirname } from 'node:path';
import { DiskFullWatch, diskFullError, isDiskFull } from './disk-full.js';
import { openDatabase, type OpenedDatabase } from './database.js';
import { EventStore } from './event-store.js';
import { PipelineIdStore } from './pipeline-id-store.js';
import { PipelineStore } from './pipeline-store.js';

/** A commit nobody was told about is on the disk this soon at the latest. */
export const DURABLE_WITHIN_MS = 500;

export class Storage {
  readonly events: EventStore;
  readonly pipelines: PipelineStore;
  readonly pipelineIds: PipelineIdStore;
  readonly diskFull: DiskFullWatch;
  private pending: (() => void)[] | null = null;
  private durableTimer: NodeJS.Timeout | null = null;

  private constructor(
    readonly database: OpenedDatabase,
    readonly now: () => number,
  ) {
    this.events = new EventStore(database, now);
    this.pipelines = new PipelineStore(database);
    this.pipelineIds = new PipelineIdStore(database);
    this.diskFull = new DiskFullWatch(now);
  }

  static open(path: string, now: () => number = Date.now): Storage {
    const s = new Storage(openDatabase(path, { groupCommit: true }), now);
    s.runner.makeDurable(); // migrations, before anything is answered
    return s;
  }

  get runner() {
    return this.database.runner;
  }

  get db() {
    return this.database.db;
  }

  /** Whether a write is under way (a write now would join it). */
  get writing(): boolean {
    return this.pending !== null;
  }

  /**
   * Runs fn in one transaction. Inside another write it joins it as a
   * savepoint: if fn throws, its changes and the afterCommit callbacks it
   * registered are dropped, and the enclosing write goes on (or not) as it
   * chooses. Callbacks run once the outermost write commits, in the order
   * they were registered; none run for a write that rolls back.
   */
  write<T>(fn: () => T): T {
    const outer = this.pending;
    if (outer) {
      const mark = outer.length;
      try {
        return this.runner.transaction(fn);
      } catch (err) {
        outer.length = mark;
        throw err;
      }
    }
    const pending: (() => void)[] = [];
    this.pending = pending;
    // While writes are refused, only a commit that wrote something shows there is room again.
    const changesBefore = this.diskFull.state ? this.runner.changes() : 0;
    let result: T;
    try {
      result = this.runner.transaction(fn);
    } catch (err) {
      if (!isDiskFull(err)) throw err;
      this.diskFull.refused();
      throw diskFullError(err, dirname(this.database.path), true);
    } finally {
      this.pending = null;
    }
    if (this.diskFull.state && this.runner.changes() !== changesBefore) this.diskFull.succeeded();
    this.scheduleDurable();
    runAll(pending);
    return result;
  }

  /**
   * Group commit. A write commits to the WAL without waiting for the disk
   * (synchronous=NORMAL): from that moment it survives a crash of ojd. It is
   * made durable against a power loss, one fsync for every commit since the
   * last one, before anything that depends on it leaves the daemon (the
   * socket server calls this before it writes answers and notifications),
   * and otherwise within DURABLE_WITHIN_MS. Returns whether it synced.
   */
  makeDurable(): boolean {
    if (this.durableTimer) clearTimeout(this.durableTimer);
    this.durableTimer = null;
    return this.runner.makeDurable();
  }

  private scheduleDurable(): void {
    if (this.durableTimer || !this.database.groupCommit) return;
    this.durableTimer = setTimeout(() => {
      this.durableTimer = null;
      try {
        this.runner.makeDurable();
      } catch {
        // Not yet durable: the next answer's makeDurable tries again (and fails it visibly).
      }
    }, DURABLE_WITHIN_MS);
    this.durableTimer.unref();
  }

  /**
   * The one rule for effects: cb runs after the outermost write commits (at
   * once outside a write), never for a write that rolls back. Notifying
   * followers, starting processes, arming timers all go through here. A
   * callback runs outside any transaction: a write it makes is its own.
   */
  afterCommit(cb: () => void): void {
    if (this.pending) this.pending.push(cb);
    else cb();
  }

  close(): void {
    if (this.durableTimer) clearTimeout(this.durableTimer);
    this.durableTimer = null;
    if (this.database.groupCommit) this.runner.makeDurable();
    this.database.close();
  }
}

/** Runs every callback even when one throws; the first error is rethrown after all ran. */
function runAll(callbacks: (() => void)[]): void {
  let first: { err: unknown } | null = null;
  for (const cb of callbacks) {
    try {
      cb();
    } catch (err) {
      first ??= { err };
    }
  }
  if (first) throw first.err;
}
