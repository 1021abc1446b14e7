/**
 * Kysely builds and types the queries; better-sqlite3 runs them synchronously.
 * Running synchronously lets one state change and the event that caused it
 * commit in a single `db.transaction(...)` with no other work interleaved, and
 * the statement cache gives prepared statements for free.
 */
import { close, closeSync, fdatasync, fsyncSync, openSync } from 'node:fs';
import type BetterSqlite3 from 'better-sqlite3';
import type { Compilable, CompiledQuery, Kysely } from 'kysely';
import { DummyDriver, KyselyBuilder, SqliteAdapter, SqliteIntrospector, SqliteQueryCompiler } from './kysely.js';
import { isDiskFull } from './disk-full.js';
import { prepareQuery, type AllKeys, type PreparedQuery } from './prepared-query.js';
import type { Database } from './schema.js';
import type { DurableFile } from './group-commit.js';

/** A kysely instance that only compiles; it never executes anything itself. */
export function createQueryBuilder(): Kysely<Database> {
  return new KyselyBuilder<Database>({
    dialect: {
      createAdapter: () => new SqliteAdapter(),
      createDriver: () => new DummyDriver(),
      createIntrospector: (db) => new SqliteIntrospector(db),
      createQueryCompiler: () => new SqliteQueryCompiler(),
    },
  });
}

type Param = string | number | bigint | Buffer | null;

export class QueryRunner implements DurableFile {
  private readonly cache = new Map<string, BetterSqlite3.Statement>();
  /** SQLite's count of rows changed by this connection when it last made them durable. */
  durableChanges = -1;
  /** The WAL file, open while the connection is, for fsyncs off the event loop. */
  private walFd: number | null = null;
  private walSyncs = 0;
  private disposed = false;

  /** One transaction function for every write (better-sqlite3 builds its wrappers anew for each `transaction(fn)`). */
  private readonly immediate: (fn: () => unknown) => unknown;

  constructor(readonly sqlite: BetterSqlite3.Database) {
    this.immediate = sqlite.transaction((fn: () => unknown) => fn()).immediate;
  }

  private statement(sql: string): BetterSqlite3.Statement {
    let stmt = this.cache.get(sql);
    if (!stmt) {
      stmt = this.sqlite.prepare(sql);
      this.cache.set(sql, stmt);
    }
    return stmt;
  }

  private params(q: CompiledQuery): Param[] {
    return q.parameters.map((p) => (typeof p === 'boolean' ? (p ? 1 : 0) : (p as Param)));
  }

  /** Rows of a SELECT (or a statement with RETURNING). */
  all<R>(query: Compilable<R>): R[] {
    const q = query.compile();
    return this.statement(q.sql).all(...this.params(q)) as R[];
  }

  first<R>(query: Compilable<R>): R | undefined {
    const q = query.compile();
    return this.statement(q.sql).get(...this.params(q)) as R | undefined;
  }

  run(query: Compilable<unknown>): { changes: number; lastInsertRowid: number } {
    const q = query.compile();
    const r = this.statement(q.sql).run(...this.params(q));
    return { changes: r.changes, lastInsertRowid: Number(r.lastInsertRowid) };
  }

  /** A transaction left open across turns of the event loop (Storage.writeSoon): begin, then commit or roll back. */
  begin(): void {
    this.statement('BEGIN IMMEDIATE').run();
  }

  commit(): void {
    this.statement('COMMIT').run();
  }

  rollback(): void {
    this.statement('ROLLBACK').run();
  }

  /** A query built and compiled once, run many times (prepared-query.ts). */
  prepared<A extends object, R>(build: (args: A) => Compilable<R>, keys?: AllKeys<A>): PreparedQuery<A, R> {
    return prepareQuery((sql) => this.statement(sql), build, keys);
  }

  /** Runs fn in one IMMEDIATE transaction; nested calls become savepoints. */
  transaction<T>(fn: () => T): T {
    return this.immediate(fn) as T;
  }

  /**
   * Makes every commit so far durable against a power loss, when any is not
   * yet (group commit: see Storage.makeDurable). A one-row commit with
   * synchronous=FULL: SQLite fsyncs the WAL, which holds it and every commit
   * before it. With the disk full that commit cannot be written (SQLite
   * refuses it, nothing changes): the WAL, which holds every earlier commit,
   * is fsynced directly instead, which needs no new space.
   */
  makeDurable(): boolean {
    if (this.sqlite.inTransaction) return false;
    const changes = this.totalChanges();
    if (changes === this.durableChanges) return false;
    this.sqlite.pragma('synchronous = FULL');
    try {
      this.statement("insert into meta (key, value) values ('durable_at', ?) on conflict (key) do update set value = excluded.value").run(
        new Date().toISOString(),
      );
    } catch (err) {
      if (!isDiskFull(err)) throw err;
      this.syncWalNow();
    } finally {
      this.sqlite.pragma('synchronous = NORMAL');
    }
    this.durableChanges = this.totalChanges();
    return true;
  }

  /** fsync of the write-ahead log's file (every commit not yet checkpointed is in it). */
  private syncWalNow(): void {
    const fd = openSync(`${this.sqlite.name}-wal`, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  /**
   * The same fsync on libuv's thread pool (group-commit.ts): the event loop
   * goes on meanwhile. Commits already checkpointed are durable in the
   * database file (a checkpoint syncs the WAL before copying and the file
   * after), so the WAL's fsync covers every commit made before it began.
   */
  syncWal(done: (err: Error | null) => void): void {
    if (this.disposed) {
      done(new Error('the database is closed'));
      return;
    }
    try {
      this.walFd ??= openSync(`${this.sqlite.name}-wal`, 'r');
    } catch (err) {
      done(err as Error);
      return;
    }
    this.walSyncs++;
    // fdatasync, as SQLite syncs its WAL: the data and the size, not the times.
    fdatasync(this.walFd, (err) => {
      this.walSyncs--;
      if (this.disposed) this.closeWal();
      done(err);
    });
  }

  /** Closes the WAL file (once no fsync of it is running). */
  dispose(): void {
    this.disposed = true;
    this.closeWal();
  }

  private closeWal(): void {
    if (this.walSyncs > 0 || this.walFd === null) return;
    const fd = this.walFd;
    this.walFd = null;
    close(fd, () => {});
  }

  /** Rows inserted, updated or deleted through this connection since it opened (SQLite's total_changes()). */
  changes(): number {
    return this.totalChanges();
  }

  private totalChanges(): number {
    return (this.statement('select total_changes() as n').get() as { n: number }).n;
  }
}
