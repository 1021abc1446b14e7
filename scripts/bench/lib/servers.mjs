/**
 * The servers the competitors' queues need, started privately for one bench
 * run and removed after it, never installed: PostgreSQL 15 from the image
 * (initdb + pg_ctl, listening only on a Unix socket in a temp dir, as the
 * `postgres` user through runuser when the bench runs as root, durable:
 * fsync and synchronous_commit on, as shipped) and Redis from Debian's
 * `redis-server` (a Unix socket, append-only file with the fsync policy
 * asked for, no snapshots). Each `*Unavailable()` returns why a server
 * cannot be started, or null.
 */
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canConnect, waitFor } from './rpc-client.mjs';

export const PG_BIN = process.env.OJ_BENCH_PG_BIN ?? '/usr/lib/postgresql/15/bin';

function onPath(bin) {
  try {
    execFileSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export function pgUnavailable() {
  for (const b of ['initdb', 'pg_ctl', 'postgres']) {
    if (!existsSync(join(PG_BIN, b))) return `PostgreSQL binaries not found in ${PG_BIN} (${b} missing)`;
  }
  if (process.getuid?.() === 0) {
    try {
      execFileSync('id', ['-u', 'postgres'], { stdio: 'ignore' });
    } catch {
      return 'running as root and there is no postgres user to run PostgreSQL as';
    }
    if (!onPath('runuser')) return 'running as root and runuser is missing';
  }
  return null;
}

export function redisUnavailable() {
  return onPath('redis-server') ? null : 'redis-server is not installed (Debian: apt-get install redis-server)';
}

/**
 * A durable PostgreSQL on a Unix socket in a temp dir of its own (directly
 * in the system's temp dir: the postgres user must reach it); `url` is a
 * libpq URL of its `postgres` database. stop() removes it.
 */
export async function startPostgres() {
  const why = pgUnavailable();
  if (why) throw new Error(why);
  const dir = mkdtempSync(join(tmpdir(), 'oj-bench-pg-'));
  // The server (the postgres user, when we are root) writes its data and socket here.
  chmodSync(dir, 0o777);
  const asPostgres = process.getuid?.() === 0;
  const run = (bin, args) => {
    const cmd = join(PG_BIN, bin);
    const [file, argv] = asPostgres ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
    try {
      execFileSync(file, argv, { stdio: ['ignore', 'pipe', 'pipe'], cwd: dir, encoding: 'utf8' });
    } catch (err) {
      throw new Error(`${bin} failed: ${String(err.stderr || err.message).trim()}`, { cause: err });
    }
  };
  const data = join(dir, 'data');
  try {
    // --no-sync only skips syncing the freshly made data directory; the server itself runs with fsync on.
    run('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C']);
    run('pg_ctl', ['start', '-D', data, '-w', '-t', '60', '-l', join(dir, 'server.log'), '-o', `-k ${dir} -c listen_addresses='' -c max_connections=50`]);
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    url: `postgresql://postgres@/postgres?host=${encodeURIComponent(dir)}`,
    stop() {
      try {
        run('pg_ctl', ['stop', '-D', data, '-m', 'fast', '-w']);
      } catch {
        // already down
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A Redis on a Unix socket in `dir`, append-only with `appendfsync` = `fsync` ('always' | 'everysec'). */
export async function startRedis(dir, fsync) {
  const why = redisUnavailable();
  if (why) throw new Error(why);
  mkdirSync(dir, { recursive: true });
  const socket = join(dir, 'redis.sock');
  const child = spawn(
    'redis-server',
    ['--port', '0', '--unixsocket', socket, '--unixsocketperm', '700', '--dir', dir, '--appendonly', 'yes', '--appendfsync', fsync, '--save', '', '--daemonize', 'no', '--logfile', join(dir, 'redis.log')],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  await waitFor(
    'redis-server',
    async () => {
      if (child.exitCode !== null) throw new Error(`redis-server exited ${child.exitCode}: ${stderr}`);
      return canConnect(socket);
    },
    30_000,
    10,
  );
  return {
    socket,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
      }),
  };
}
