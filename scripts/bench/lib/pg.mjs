/**
 * A throwaway PostgreSQL 15 for the bench's cluster section, as the tests
 * start theirs (test/pg/pg-server.ts): `initdb` into a temp dir and `pg_ctl
 * start` listening only on a Unix socket there, run as the `postgres` user
 * (through runuser) when the bench runs as root. Unlike the tests' server it
 * keeps PostgreSQL's durable defaults (fsync on), to be compared with ojd's
 * durable SQLite commits.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const PG_BIN = process.env.OJ_TEST_PG_BIN ?? '/usr/lib/postgresql/15/bin';

/** Null when a server can be started; else why not. */
export function pgMissing() {
  for (const b of ['initdb', 'pg_ctl', 'postgres', 'createdb']) {
    if (!existsSync(join(PG_BIN, b))) return `PostgreSQL binaries not found in ${PG_BIN} (${b} missing): install postgresql-15`;
  }
  if (process.getuid?.() === 0) {
    try {
      execFileSync('id', ['-u', 'postgres'], { stdio: 'ignore' });
    } catch {
      return 'running as root and there is no postgres user to run PostgreSQL as';
    }
  }
  return null;
}

export class BenchPg {
  #count = 0;

  constructor(dir) {
    this.dir = dir;
    this.asPostgres = process.getuid?.() === 0;
  }

  /** In a temp dir of its own: the `postgres` user must reach it (the bench's root is private to us). */
  static start() {
    const dir = mkdtempSync(join(tmpdir(), 'oj-bench-pg-'));
    chmodSync(dir, 0o777);
    const pg = new BenchPg(dir);
    pg.#run('initdb', ['-D', join(dir, 'data'), '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C']);
    pg.#run('pg_ctl', ['start', '-D', join(dir, 'data'), '-w', '-t', '60', '-l', join(dir, 'server.log'), '-o', `-k ${dir} -c listen_addresses='' -c max_connections=200`]);
    return pg;
  }

  #run(bin, args) {
    const cmd = join(PG_BIN, bin);
    const [file, argv] = this.asPostgres ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
    execFileSync(file, argv, { stdio: ['ignore', 'pipe', 'pipe'], cwd: this.dir });
  }

  /** A fresh database; its libpq URL (the Unix-socket form). */
  createDatabase(prefix) {
    const name = `${prefix}_${process.pid}_${++this.#count}`;
    this.#run('createdb', ['-h', this.dir, '-U', 'postgres', name]);
    return `postgresql://postgres@/${name}?host=${encodeURIComponent(this.dir)}`;
  }

  stop() {
    try {
      this.#run('pg_ctl', ['stop', '-D', join(this.dir, 'data'), '-m', 'fast', '-w']);
    } catch {
      // already down
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
