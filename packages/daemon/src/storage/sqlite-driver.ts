/**
 * The SQLite driver for the running Node.js: everything that opens a database
 * (the daemon, backups, tests, benches) takes it from here, never from
 * `better-sqlite3` directly.
 *
 * Why two: better-sqlite3 12 wraps its objects with Node's own C++
 * `node::ObjectWrap`, and built against Node 24.19+ headers its statements
 * abort the process when the garbage collector frees one
 * (`Assertion failed: (env) != nullptr` in RemoveEnvironmentCleanupHook).
 * better-sqlite3 13 uses Node-API (ABI-stable, prebuilt in the package) and
 * does not, but needs Node >= 22 (on Node 20 it crashes when loaded). So:
 * 13 on Node >= 22, 12 (the `better-sqlite3-node20` alias) on Node 20.
 * Drop the alias with Node 20.
 */
import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';

const require = createRequire(import.meta.url);

/** The major version of the running Node.js. */
export const NODE_MAJOR = Number(process.versions.node.split('.')[0]);

/** The npm package the driver comes from on this Node.js. */
export const SQLITE_PACKAGE = NODE_MAJOR >= 22 ? 'better-sqlite3' : 'better-sqlite3-node20';

/** The better-sqlite3 Database constructor. */
export const Sqlite = require(SQLITE_PACKAGE) as typeof BetterSqlite3;

/** An open better-sqlite3 database. */
export type SqliteDatabase = BetterSqlite3.Database;
