/**
 * Kysely builds and types the queries; better-sqlite3 runs them synchronously.
 * Running synchronously lets one state change and the event that caused it
 * commit in a single `db.transaction(...)` with no other work interleaved, and
 * the statement cache gives prepared statements for free.
 */
import type BetterSqlite3 from 'better-sqlite3';
import type { Compilable, CompiledQuery, Kysely } from 'kysely';
import { DummyDriver, KyselyBuilder, SqliteAdapter, SqliteIntrospector, SqliteQueryCompiler } from './kysely.js';
import type { Database } from './schema.js';

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

export class QueryRunner {
  private readonly cache = new Map<string, BetterSqlite3.Statement>();

  constructor(readonly sqlite: BetterSqlite3.Database) {}

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

  /** Runs fn in one IMMEDIATE transaction; nested calls become savepoints. */
  transaction<T>(fn: () => T): T {
    return this.sqlite.transaction(fn).immediate();
  }

  /**
   * A transaction whose commit does not wait for the disk (synchronous=NORMAL
   * for this one commit): in WAL mode it survives a crash of the process, not
   * a power loss. The next ordinary commit syncs it along with its own.
   */
  unsyncedTransaction<T>(fn: () => T): T {
    if (this.sqlite.inTransaction) return this.transaction(fn);
    const level = this.sqlite.pragma('synchronous', { simple: true }) as number;
    this.sqlite.pragma('synchronous = NORMAL');
    try {
      return this.transaction(fn);
    } finally {
      this.sqlite.pragma(`synchronous = ${level}`);
    }
  }
}
