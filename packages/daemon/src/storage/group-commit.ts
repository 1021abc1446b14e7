/**
 * Group commit without holding the event loop. Commits go to the WAL
 * without waiting for the disk (synchronous=NORMAL: they survive a crash of
 * ojd at once). Whoever must not speak before a commit is durable against
 * a power loss (the socket server, before answers and notifications) asks
 * `whenDurable()`: null when everything committed is already durable, else
 * a promise that resolves once an fsync of the WAL that began after the
 * latest commit has finished. The fsync runs on libuv's thread pool, so the
 * daemon goes on serving other connections meanwhile; every commit made
 * while one fsync runs shares the next one. One fsync runs at a time;
 * waiters are released in the order they asked.
 *
 * Marks are SQLite's count of rows changed by the connection (total_changes):
 * a commit that changed nothing needs no fsync.
 */

export interface DurableFile {
  /** Rows changed by the connection so far (committed: asked outside any transaction). */
  changes(): number;
  /** Rows changed as of the last time everything was durable. */
  durableChanges: number;
  /** fsync of the write-ahead log (every commit not yet checkpointed is in it; the rest are in the synced database file). */
  syncWal(done: (err: Error | null) => void): void;
}

interface Waiter {
  mark: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

export class GroupCommit {
  private waiters: Waiter[] = [];
  private running = false;
  /** Run once the fsync under way has finished (see onIdle). */
  private idleCallbacks: (() => void)[] = [];
  /** fsyncs run (for tests and the bench's accounting). */
  syncs = 0;

  constructor(private readonly file: DurableFile) {}

  /** Null when everything committed so far is durable; else resolves once it is (rejects when the fsync failed). */
  whenDurable(): Promise<void> | null {
    const mark = this.file.changes();
    if (mark <= this.file.durableChanges) return null;
    return new Promise<void>((resolve, reject) => {
      this.waiters.push({ mark, resolve, reject });
      this.kick();
    });
  }

  /** Whether an fsync is under way. */
  get busy(): boolean {
    return this.running;
  }

  /** Runs cb once no fsync is under way (at once when none is). */
  onIdle(cb: () => void): void {
    if (!this.running) cb();
    else this.idleCallbacks.push(cb);
  }

  /**
   * A transaction some answers may have read did not commit: every waiter
   * rejects (its output is not sent), since what it reports may be gone.
   */
  abandon(err: Error): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w.reject(err);
  }

  /** Everything is durable now (a synchronous barrier ran): release every waiter. */
  settled(): void {
    this.release(this.file.durableChanges, null);
  }

  private kick(): void {
    if (this.running || this.waiters.length === 0) return;
    this.running = true;
    const mark = this.file.changes();
    this.syncs++;
    this.file.syncWal((err) => {
      this.running = false;
      if (!err && mark > this.file.durableChanges) this.file.durableChanges = mark;
      this.release(mark, err);
      const idle = this.idleCallbacks;
      this.idleCallbacks = [];
      for (const cb of idle) cb();
      this.kick();
    });
  }

  /** Waiters up to `mark` resolve (or reject with err), in the order they asked. */
  private release(mark: number, err: Error | null): void {
    let n = 0;
    while (n < this.waiters.length && this.waiters[n]!.mark <= mark) n++;
    const done = this.waiters.splice(0, n);
    for (const w of done) {
      if (err) w.reject(err);
      else w.resolve();
    }
  }
}
