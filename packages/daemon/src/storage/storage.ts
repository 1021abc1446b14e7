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
import { GroupCommit } from './group-commit.js';
import { PipelineIdStore } from './pipeline-id-store.js';
import { PipelineStore } from './pipeline-store.js';

/** A commit nobody was told about is on the disk this soon at the latest. */
export const DURABLE_WITHIN_MS = 500;

export class Storage {
  readonly events: EventStore;
  readonly pipelines: PipelineStore;
  readonly pipelineIds: PipelineIdStore;
  readonly diskFull: DiskFullWatch;
  readonly groupCommit: GroupCommit;
  private pending: (() => void)[] | null = null;
  /** Told of every outermost transaction that commits (onCommit). */
  private readonly commitObservers: (() => void)[] = [];
  /** Writes asked for with writeSoon, run together at the end of this turn of the event loop. */
  private soon: SoonWrite[] = [];
  /** writeSoon's transaction, left open while an fsync is under way (see runSoon). */
  private open: OpenBatch | null = null;
  private durableTimer: NodeJS.Timeout | null = null;

  private constructor(
    readonly database: OpenedDatabase,
    readonly now: () => number,
  ) {
    this.events = new EventStore(database, now);
    this.pipelines = new PipelineStore(database);
    this.pipelineIds = new PipelineIdStore(database);
    this.diskFull = new DiskFullWatch(now);
    this.groupCommit = new GroupCommit(database.runner);
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

  /** `observe` is called after each outermost transaction commits (a measure of how busy the daemon is: v8-compilers.ts). */
  onCommit(observe: () => void): void {
    this.commitObservers.push(observe);
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
    // A write of its own never joins writeSoon's open transaction: that one commits first.
    if (this.open) this.commitOpen();
    const { result, callbacks } = this.transact(fn);
    runAll(callbacks);
    return result;
  }

  /** The outermost transaction: fn's result, and the afterCommit callbacks it registered (to run now that it has committed). */
  private transact<T>(fn: () => T): { result: T; callbacks: (() => void)[] } {
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
    for (const observe of this.commitObservers) observe();
    return { result, callbacks: pending };
  }

  /**
   * A write that may share its transaction with others: inside a write it
   * joins that one at once (as write() would); otherwise it waits for the
   * end of this turn of the event loop, when every write asked for so far
   * runs in one transaction, each as a savepoint of its own (one that throws
   * is rolled back alone and rejects alone). While an fsync of the group
   * commit is under way that transaction is left open: what it would commit
   * could only be made durable by the next fsync anyway, so the writes of
   * the turns until the fsync ends run in it too (at once: their work
   * overlaps the fsync), and it commits when the fsync ends, before the next
   * one starts. The promise settles once the transaction has committed (and
   * the afterCommit callbacks have run): the writes of many concurrent
   * requests cost one commit, and the WAL gets a page they all change once,
   * not once each. If the commit fails, every write of it rejects with the
   * error (and answers waiting for durability are not sent: they may have
   * read what was rolled back).
   *
   * `quiet`: nothing waits for this write to be durable (a phase's end, not
   * a request's answer): a batch of only such writes starts no fsync of its
   * own. The next answer's barrier, or DURABLE_WITHIN_MS, makes it durable;
   * meanwhile the next writes commit at once instead of waiting in the
   * transaction left open for an fsync nobody asked for.
   */
  writeSoon<T>(fn: () => T, o: { quiet?: boolean } = {}): Promise<T> {
    if (this.pending) {
      try {
        return Promise.resolve(this.write(fn));
      } catch (err) {
        return Promise.reject(asError(err));
      }
    }
    return new Promise<T>((resolve, reject) => {
      this.soon.push({ fn, resolve: resolve as (v: unknown) => void, reject, quiet: o.quiet === true });
      if (this.soon.length === 1) setImmediate(this.runSoon);
    });
  }

  private readonly runSoon = (): void => {
    const batch = this.soon;
    this.soon = [];
    if (batch.length === 0) return; // written at close meanwhile
    if (this.open || (this.database.groupCommit && this.groupCommit.busy)) {
      this.runOpen(batch);
      return;
    }
    if (batch.length === 1) {
      // Alone in its turn: its own transaction, no savepoint.
      const w = batch[0]!;
      try {
        const value = this.write(w.fn);
        if (!w.quiet) this.syncNow();
        w.resolve(value);
      } catch (err) {
        w.reject(asError(err));
      }
      return;
    }
    const outcomes: ({ ok: true; value: unknown } | { ok: false; err: Error })[] = [];
    /** Where each write's afterCommit callbacks begin (a rolled-back savepoint drops its own). */
    const marks: number[] = [];
    let callbacks: (() => void)[];
    try {
      ({ callbacks } = this.transact(() => {
        for (const w of batch) {
          marks.push(this.pending!.length);
          try {
            outcomes.push({ ok: true, value: this.write(w.fn) });
          } catch (err) {
            outcomes.push({ ok: false, err: asError(err) });
          }
          // SQLite rolls the whole transaction back on some errors (a full disk, I/O): then none of the batch stands.
          if (!this.runner.sqlite.inTransaction) {
            const last = outcomes[outcomes.length - 1]!;
            throw last.ok ? new Error('the transaction was rolled back') : last.err;
          }
        }
      }));
    } catch (err) {
      for (const w of batch) w.reject(asError(err));
      return;
    }
    if (batch.some((w) => !w.quiet)) this.syncNow();
    batch.forEach((w, i) => {
      let o = outcomes[i]!;
      try {
        runAll(callbacks.slice(marks[i], marks[i + 1] ?? callbacks.length));
      } catch (err) {
        // As write() would: the write stands, its caller hears that its effects failed.
        if (o.ok) o = { ok: false, err: asError(err) };
      }
      if (o.ok) w.resolve(o.value);
      else w.reject(o.err);
    });
  };

  /** Runs the batch's writes in the transaction left open while the fsync under way lasts (opening it if need be). */
  private runOpen(batch: SoonWrite[]): void {
    if (!this.open) {
      try {
        this.runner.begin();
      } catch (err) {
        for (const w of batch) w.reject(asError(err));
        return;
      }
      this.open = { callbacks: [], entries: [] };
      this.groupCommit.onIdle(this.commitOpen);
    }
    const open = this.open;
    this.pending = open.callbacks;
    try {
      for (const w of batch) {
        const from = open.callbacks.length;
        let outcome: Outcome;
        try {
          outcome = { ok: true, value: this.write(w.fn) };
        } catch (err) {
          outcome = { ok: false, err: asError(err) };
        }
        open.entries.push({ w, outcome, from, to: open.callbacks.length });
        // SQLite rolls the whole transaction back on some errors (a full disk, I/O): then none of it stands.
        if (!this.runner.sqlite.inTransaction) {
          this.pending = null;
          this.open = null;
          this.failOpen(open, outcome.ok ? new Error('the transaction was rolled back') : outcome.err, batch.slice(batch.indexOf(w) + 1));
          return;
        }
      }
    } finally {
      this.pending = null;
    }
  }

  /** Commits writeSoon's open transaction: then its writes' callbacks run and their promises settle. */
  private readonly commitOpen = (): void => {
    const open = this.open;
    if (!open) return;
    this.open = null;
    try {
      this.runner.commit();
    } catch (err) {
      if (this.runner.sqlite.inTransaction) this.runner.rollback();
      if (!isDiskFull(err)) return this.failOpen(open, asError(err), []);
      this.diskFull.refused();
      return this.failOpen(open, diskFullError(err, dirname(this.database.path), true), []);
    }
    if (this.diskFull.state) this.diskFull.succeeded();
    this.scheduleDurable();
    if (open.entries.some((e) => !e.w.quiet)) this.syncNow();
    for (const { w, outcome, from, to } of open.entries) {
      let o = outcome;
      try {
        runAll(open.callbacks.slice(from, to));
      } catch (err) {
        // As write() would: the write stands, its caller hears that its effects failed.
        if (o.ok) o = { ok: false, err: asError(err) };
      }
      if (o.ok) w.resolve(o.value);
      else w.reject(o.err);
    }
  };

  /** The open transaction did not commit: none of its writes stands, and nothing that may have read them is answered. */
  private failOpen(open: OpenBatch, err: Error, unrun: SoonWrite[]): void {
    this.groupCommit.abandon(err);
    for (const { w } of open.entries) w.reject(err);
    for (const w of unrun) w.reject(err);
  }

  /**
   * Group commit. A write commits to the WAL without waiting for the disk
   * (synchronous=NORMAL): from that moment it survives a crash of ojd. It is
   * made durable against a power loss, one fsync for every commit since the
   * last one, before anything that depends on it leaves the daemon (the
   * socket server waits for `whenDurable` before it writes answers and
   * notifications), and otherwise within DURABLE_WITHIN_MS.
   *
   * `whenDurable`: null when everything committed is durable already; else
   * a promise that resolves once it is. The fsync runs off the event loop
   * (group-commit.ts), so requests of other connections are served, and
   * their commits share the next fsync, while one is under way.
   */
  whenDurable(): Promise<void> | null {
    return this.groupCommit.whenDurable();
  }

  /**
   * Starts the fsync of what a batch of writeSoon just committed, rather than
   * a turn later when the first answer that waits for it is about to leave
   * (most of these writes are requests': their answers wait for it).
   */
  private syncNow(): void {
    if (this.database.groupCommit) this.whenDurable()?.catch(() => {});
  }

  /** The same barrier, synchronous (at open and close, and for tests). Returns whether it synced. */
  makeDurable(): boolean {
    if (this.open) this.commitOpen();
    if (this.durableTimer) clearTimeout(this.durableTimer);
    this.durableTimer = null;
    const synced = this.runner.makeDurable();
    this.groupCommit.settled();
    return synced;
  }

  private scheduleDurable(): void {
    if (this.durableTimer || !this.database.groupCommit) return;
    this.durableTimer = setTimeout(() => {
      this.durableTimer = null;
      // Not yet durable if it fails: the next answer's barrier tries again (and fails it visibly).
      this.whenDurable()?.catch(() => {});
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
    // Writes asked for in this turn are written first: they were accepted.
    if (this.open) this.commitOpen();
    if (this.soon.length) this.runSoon();
    if (this.open) this.commitOpen();
    if (this.durableTimer) clearTimeout(this.durableTimer);
    this.durableTimer = null;
    if (this.database.groupCommit) this.makeDurable();
    this.database.close();
  }
}

interface SoonWrite {
  fn: () => unknown;
  /** Nothing waits for it to be durable (see writeSoon). */
  quiet: boolean;
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; err: Error };

/** writeSoon's open transaction: its writes (each with the range of afterCommit callbacks it registered) and those callbacks. */
interface OpenBatch {
  callbacks: (() => void)[];
  entries: { w: SoonWrite; outcome: Outcome; from: number; to: number }[];
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
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
