/**
 * Opens the daemon's SQLite database with the settings oj's guarantees rest on:
 * - journal_mode=WAL: readers never block the writer;
 * - synchronous=FULL: a transaction is on disk before the daemon acknowledges
 *   the request that caused it (durable on acknowledge, also across power loss);
 * - busy_timeout: a second process (`oj daemon check`, a backup) waits, not fails;
 * - foreign_keys=ON;
 * - temp_store=MEMORY: statement and savepoint journals (and temp tables) in memory.
 */
import { Sqlite as BetterSqlite3 } from './sqlite-driver.js';
import type { Kysely } from 'kysely';
import { migrate } from './migrations.js';
import { QueryRunner, createQueryBuilder } from './query-runner.js';
import type { Database } from './schema.js';

export interface OpenedDatabase {
  runner: QueryRunner;
  db: Kysely<Database>;
  path: string;
  /** Migration versions applied while opening. */
  applied: number[];
  /** Commits do not wait for the disk; the owner makes them durable (Storage.makeDurable). */
  groupCommit: boolean;
  close(): void;
}

export function openDatabase(path: string, options: { readonly?: boolean; groupCommit?: boolean } = {}): OpenedDatabase {
  const groupCommit = (options.groupCommit ?? false) && !options.readonly;
  const sqlite = new BetterSqlite3(path, { readonly: options.readonly ?? false, fileMustExist: options.readonly ?? false });
  try {
    sqlite.pragma('busy_timeout = 5000');
    if (!options.readonly) {
      sqlite.pragma('journal_mode = WAL');
      sqlite.pragma(groupCommit ? 'synchronous = NORMAL' : 'synchronous = FULL');
    }
    sqlite.pragma('foreign_keys = ON');
    // Statement journals (a nested write's savepoint, an UPDATE of several rows) and
    // transient tables in memory: on disk, SQLite created and unlinked a temp file for
    // them in almost every transaction. They only ever undo part of a transaction still
    // open; what commits goes to the WAL as before.
    sqlite.pragma('temp_store = MEMORY');
    const runner = new QueryRunner(sqlite);
    const db = createQueryBuilder();
    const applied = options.readonly ? [] : migrate(runner, db, path);
    let closed = false;
    return {
      runner,
      db,
      path,
      applied,
      groupCommit,
      close() {
        if (closed) return;
        closed = true;
        runner.dispose();
        sqlite.close();
      },
    };
  } catch (err) {
    sqlite.close();
    throw err;
  }
}
