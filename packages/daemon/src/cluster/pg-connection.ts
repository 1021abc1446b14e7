/**
 * The connection to the cluster's PostgreSQL: a `pg` pool under kysely's
 * Postgres dialect. Bigints (epoch-ms times, counts) come back as numbers.
 * A lost connection is never fatal to the daemon: the pool's errors are
 * logged, and a query made meanwhile fails with an `unavailable` error that
 * says the cluster database cannot be reached.
 */
import { ErrorCode, OjError } from '@oj/protocol';
import type { Kysely } from 'kysely';
import pg from 'pg';
import { KyselyBuilder, PostgresDialect } from '../storage/kysely.js';
import type { PgDatabase } from './pg-schema.js';
import { redactUrl } from '../maintenance/cluster-config.js';

const INT8 = 20;

export const pgTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8 && format !== 'binary') return (v: string) => Number(v);
    return pg.types.getTypeParser(oid, format);
  },
} as pg.CustomTypesConfig;

export interface PgConnection {
  pool: pg.Pool;
  db: Kysely<PgDatabase>;
  url: string;
}

export function connectPg(url: string, onError: (err: Error) => void, max = 8): PgConnection {
  // Group commit: a commit does not wait for the disk; the daemon makes commits durable before it answers (pg-durability.ts).
  const pool = new pg.Pool({ connectionString: url, types: pgTypes, max, connectionTimeoutMillis: 5000, idleTimeoutMillis: 30_000, options: '-c synchronous_commit=off' });
  pool.on('error', onError);
  // A client in use whose connection breaks emits 'error' too: without a listener that would end the daemon.
  pool.on('connect', (client) => client.on('error', onError));
  const db = new KyselyBuilder<PgDatabase>({ dialect: new PostgresDialect({ pool }) });
  return { pool, db, url };
}

/** A plain client (for LISTEN), with the same types; `name` is its application_name (pg_stat_activity shows it). */
export function pgClient(url: string, name?: string): pg.Client {
  return new pg.Client({ connectionString: url, types: pgTypes, connectionTimeoutMillis: 5000, ...(name ? { application_name: name } : {}) });
}

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOENT', 'EPIPE', 'ETIMEDOUT', '57P01', '57P02', '57P03', '08000', '08003', '08006']);

/** Whether err says the database cannot be reached (rather than refusing a statement). */
export function isConnectionError(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | null;
  if (!e) return false;
  if (typeof e.code === 'string' && CONNECTION_CODES.has(e.code)) return true;
  const m = typeof e.message === 'string' ? e.message : '';
  return /Connection terminated|connection timeout|Client has encountered a connection error|not queryable|terminating connection/i.test(m);
}

/**
 * The error a caller sees while the cluster database cannot be reached:
 * code Unavailable, data `{ kind: 'cluster_unavailable', database, reason,
 * durable, hint }`. `durable` false: a change was committed but could not be
 * made durable (it may be lost: the caller should look again once the
 * database is back); true: nothing was changed. `atStart`: the daemon is
 * starting and cannot go on without it.
 */
export function unavailable(url: string, err: unknown, durable = true, atStart = false): OjError {
  const why = err instanceof Error ? err.message : String(err);
  const database = redactUrl(url);
  const what = atStart
    ? 'the daemon does not start in cluster mode without it'
    : durable
      ? 'shared work (queues, workers, crons, locks) is refused until it is back'
      : 'the change was made but may not be recorded: look again once it is back';
  return new OjError(ErrorCode.Unavailable, `the cluster database (${database}) cannot be reached: ${why}; ${what}`, {
    kind: 'cluster_unavailable',
    database,
    reason: why,
    durable,
    hint: 'the daemon reconnects by itself (running phases go on); check that PostgreSQL is up (oj daemon status)',
  });
}
