/**
 * Backup and restore of the daemon's database.
 *
 * Backup uses SQLite's online backup API (better-sqlite3 `db.backup`): it
 * copies a consistent snapshot page by page while the daemon keeps writing.
 * The copy goes to a temporary file beside the target, is switched to a
 * single-file journal mode, verified with `integrity_check`, fsynced and only
 * then renamed into place, so the target is either absent or a whole,
 * verified database.
 *
 * Restore is offline (the daemon must be stopped): the backup is verified
 * (integrity, and a schema version this build understands), the current
 * database (with its -wal/-shm) is moved aside, and the backup is copied in
 * through the same backup API. The next daemon start migrates it if it is
 * older and reconciles with the world as it is now.
 *
 * Every file written here is created 0600 before SQLite writes a byte to it,
 * whatever the umask of the process: a backup made by `oj` with the daemon
 * stopped holds the same private data as one the daemon makes.
 */
import { chmodSync, closeSync, existsSync, fsyncSync, openSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { Sqlite as BetterSqlite3, type SqliteDatabase } from '../storage/sqlite-driver.js';
import { ErrorCode, OjError, type BackupResult, type IntegrityReport } from '@oj/protocol';
import { LATEST_SCHEMA_VERSION, SchemaTooNewError } from '../storage/migrations.js';
import { checkIntegrity, schemaVersionOf } from './integrity.js';

export async function backupDatabase(
  source: SqliteDatabase,
  target: string,
  options: { force?: boolean; livePath?: string } = {},
): Promise<BackupResult> {
  const started = Date.now();
  const dest = resolve(target);
  if (options.livePath && [options.livePath, `${options.livePath}-wal`, `${options.livePath}-shm`].includes(dest)) {
    throw new OjError(ErrorCode.BadArguments, `${dest} is the live database; back up to another file`, { kind: 'bad_arguments' });
  }
  if (!existsSync(dirname(dest))) {
    throw new OjError(ErrorCode.BadArguments, `directory ${dirname(dest)} does not exist`, { kind: 'bad_arguments', path: dest });
  }
  if (existsSync(dest) && !options.force) {
    throw new OjError(ErrorCode.AlreadyExists, `${dest} already exists`, {
      kind: 'already_exists',
      path: dest,
      hint: 'choose another file, or pass --force to replace it',
    });
  }
  const tmp = join(dirname(dest), `.${basename(dest)}.partial-${process.pid}-${Date.now()}`);
  try {
    createPrivateFile(tmp);
    const progress = await source.backup(tmp);
    const copy = new BetterSqlite3(tmp);
    let report: IntegrityReport;
    let schemaVersion: number;
    try {
      // A backup is one self-contained file: no -wal beside it.
      copy.pragma('journal_mode = DELETE');
      schemaVersion = schemaVersionOf(copy);
      report = checkIntegrity(copy, { quick: false, path: dest });
    } finally {
      copy.close();
    }
    const sqliteProblems = report.problems.filter((p) => p.check.startsWith('sqlite.'));
    if (sqliteProblems.length > 0) {
      throw new OjError(ErrorCode.InternalError, `the backup copy failed its integrity check: ${sqliteProblems[0]!.message}`, {
        kind: 'backup_corrupt',
      });
    }
    fsyncFile(tmp);
    renameSync(tmp, dest);
    fsyncDir(dirname(dest));
    return {
      path: dest,
      bytes: statSync(dest).size,
      pages: progress.totalPages,
      schemaVersion,
      verified: true,
      durationMs: Date.now() - started,
    };
  } finally {
    rmSync(tmp, { force: true });
    rmSync(`${tmp}-journal`, { force: true });
  }
}

/** Opens a database file read-only for a check or a backup; refuses a path that is not one. */
export function openReadOnly(path: string): SqliteDatabase {
  if (!existsSync(path)) throw new OjError(ErrorCode.NotFound, `no database at ${path}`, { kind: 'not_found', what: 'database', id: path });
  const db = new BetterSqlite3(path, { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    // Reading the schema fails here for a file that is not SQLite.
    db.prepare('SELECT count(*) FROM sqlite_master').get();
    return db;
  } catch (err) {
    db.close();
    throw new OjError(ErrorCode.BadArguments, `${path} is not a readable SQLite database: ${(err as Error).message}`, { kind: 'bad_arguments', path });
  }
}

export function checkDatabaseFile(path: string, options: { quick?: boolean } = {}): IntegrityReport {
  const db = openReadOnly(path);
  try {
    return checkIntegrity(db, { quick: options.quick ?? false, path });
  } finally {
    db.close();
  }
}

export async function backupDatabaseFile(path: string, target: string, options: { force?: boolean } = {}): Promise<BackupResult> {
  const db = openReadOnly(path);
  try {
    return await backupDatabase(db, target, { ...options, livePath: resolve(path) });
  } finally {
    db.close();
  }
}

export interface RestoreResult {
  database: string;
  from: string;
  schemaVersion: number;
  /** Where the database it replaced was moved (null when there was none). */
  previous: string | null;
}

/**
 * Replaces the database at `dbPath` with the backup at `from`. The caller
 * makes sure no daemon runs (`oj daemon restore` refuses while one answers
 * or holds the pid lock).
 */
export async function restoreDatabaseFile(dbPath: string, from: string, now = new Date()): Promise<RestoreResult> {
  const src = resolve(from);
  const db = resolve(dbPath);
  if (src === db) throw new OjError(ErrorCode.BadArguments, `${src} is the live database`, { kind: 'bad_arguments' });
  const source = openReadOnly(src);
  let schemaVersion: number;
  try {
    schemaVersion = schemaVersionOf(source);
    if (schemaVersion > LATEST_SCHEMA_VERSION) {
      const err = new SchemaTooNewError(schemaVersion, LATEST_SCHEMA_VERSION, src);
      throw new OjError(ErrorCode.IllegalState, err.message, { kind: 'schema_too_new', found: schemaVersion, supported: LATEST_SCHEMA_VERSION });
    }
    const hasEvents = source.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'events'`).get() !== undefined;
    if (schemaVersion < 1 || !hasEvents) {
      throw new OjError(ErrorCode.BadArguments, `${src} is not an oj database (no schema version, no events table)`, { kind: 'bad_arguments' });
    }
    const report = checkIntegrity(source, { path: src });
    const broken = report.problems.find((p) => p.check.startsWith('sqlite.'));
    if (broken) {
      throw new OjError(ErrorCode.IllegalState, `${src} fails its integrity check: ${broken.message}`, { kind: 'backup_corrupt' });
    }
    const incoming = `${db}.restoring-${process.pid}`;
    rmSync(incoming, { force: true });
    try {
      createPrivateFile(incoming);
      await source.backup(incoming);
      fsyncFile(incoming);
      let previous: string | null = null;
      if (existsSync(db)) {
        previous = `${db}.before-restore-${now.toISOString().replace(/[:.]/g, '-')}`;
        renameSync(db, previous);
        for (const suffix of ['-wal', '-shm']) {
          if (existsSync(db + suffix)) renameSync(db + suffix, previous + suffix);
        }
      }
      renameSync(incoming, db);
      fsyncDir(dirname(db));
      return { database: db, from: src, schemaVersion, previous };
    } finally {
      rmSync(incoming, { force: true });
    }
  } finally {
    source.close();
  }
}

/**
 * Creates an empty file only the owner may read (0600, not what the umask
 * leaves of 0666); SQLite takes an empty file as an empty database and keeps
 * its mode, and gives its journal the same. Fails if the file exists.
 */
function createPrivateFile(path: string): void {
  const fd = openSync(path, 'wx', 0o600);
  try {
    chmodSync(path, 0o600);
  } finally {
    closeSync(fd);
  }
}

function fsyncFile(path: string): void {
  const fd = openSync(path, 'r+');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function fsyncDir(path: string): void {
  try {
    const fd = openSync(path, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // not every platform lets a directory be fsynced
  }
}
