/**
 * A throwaway PostgreSQL 15 for the cluster tests: `initdb` into a temp dir
 * and `pg_ctl start` listening only on a Unix socket in that dir (no TCP
 * port), about a second. Run as the `postgres` user (through runuser) when
 * the tests run as root, since PostgreSQL refuses to run as root. Each test
 * file starts its own and makes the databases it needs.
 *
 * When the binaries are missing, `pgAvailable()` says why: the Postgres
 * suites skip with that reason locally and fail under CI=true (.ci/run
 * installs them).
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
export const PG_BIN = process.env.OJ_TEST_PG_BIN ?? '/usr/lib/postgresql/15/bin';
/** Null when a server can be started; else why not. */
export function pgUnavailable() {
    for (const b of ['initdb', 'pg_ctl', 'postgres']) {
        if (!existsSync(join(PG_BIN, b)))
            return `PostgreSQL binaries not found in ${PG_BIN} (${b} missing): install postgresql-15`;
    }
    if (process.getuid?.() === 0) {
        try {
            execFileSync('id', ['-u', 'postgres'], { stdio: 'ignore' });
        }
        catch {
            return 'running as root and there is no postgres user to run PostgreSQL as';
        }
    }
    return null;
}
/** For describe.skipIf: skip (printing why) locally, fail under CI where the binaries must be there. */
export function skipWithoutPg() {
    const why = pgUnavailable();
    if (why === null)
        return false;
    if (process.env.CI === 'true')
        throw new Error(`CI must run the PostgreSQL suites: ${why}`);
    console.warn(`skipping the PostgreSQL suite: ${why}`);
    return true;
}
export class PgServer {
    dir;
    asPostgres;
    stopped = false;
    dbCount = 0;
    constructor(
    /** The temp dir: data in data/, the socket (.s.PGSQL.5432) in the dir itself. */
    dir, asPostgres) {
        this.dir = dir;
        this.asPostgres = asPostgres;
    }
    static start() {
        const why = pgUnavailable();
        if (why)
            throw new Error(why);
        const asPostgres = process.getuid?.() === 0;
        const dir = mkdtempSync(join(tmpdir(), 'oj-pg-'));
        // The server (the postgres user) writes its data and its socket here.
        chmodSync(dir, 0o777);
        const server = new PgServer(dir, asPostgres);
        server.run('initdb', ['-D', server.dataDir, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C']);
        server.startServer();
        return server;
    }
    get dataDir() {
        return join(this.dir, 'data');
    }
    run(bin, args) {
        const cmd = join(PG_BIN, bin);
        const [file, argv] = this.asPostgres ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
        execFileSync(file, argv, { stdio: ['ignore', 'pipe', 'pipe'], cwd: this.dir });
    }
    /** Starts (or starts again) the server; returns once it accepts connections. */
    startServer() {
        const opts = `-k ${this.dir} -c listen_addresses='' -c fsync=off -c max_connections=200`;
        this.run('pg_ctl', ['start', '-D', this.dataDir, '-w', '-t', '60', '-l', join(this.dir, 'server.log'), '-o', opts]);
    }
    /** Stops the server at once (as a crash or a network loss would look to a client). */
    stopServer() {
        this.run('pg_ctl', ['stop', '-D', this.dataDir, '-m', 'immediate', '-w']);
    }
    /** A libpq URL in the Unix-socket form (the one `OJ_DATABASE_URL` documents). */
    url(database) {
        return `postgresql://postgres@/${database}?host=${encodeURIComponent(this.dir)}`;
    }
    /** Creates a fresh database and returns its URL. */
    async createDatabase(prefix = 'oj') {
        const name = `${prefix}_${process.pid}_${++this.dbCount}`;
        const c = new pg.Client({ host: this.dir, user: 'postgres', database: 'postgres' });
        await c.connect();
        try {
            await c.query(`CREATE DATABASE ${name}`);
        }
        finally {
            await c.end();
        }
        return this.url(name);
    }
    stop() {
        if (this.stopped)
            return;
        this.stopped = true;
        try {
            this.stopServer();
        }
        catch {
            // already down
        }
        rmSync(this.dir, { recursive: true, force: true });
    }
}
//# sourceMappingURL=pg-server.js.map