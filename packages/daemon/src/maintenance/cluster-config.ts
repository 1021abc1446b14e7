/**
 * Cluster mode's settings: where the shared PostgreSQL is and what this
 * daemon is called in the cluster. Without a database URL the daemon is on
 * its own (SQLite, nothing to set up), as always.
 *
 *   <state dir>/config.toml
 *     [cluster]
 *     database_url = "postgresql://oj@/ojdb?host=/run/postgresql"   # libpq-style URL
 *     host_id = "build-1"                                            # this daemon's name in the cluster
 *
 * `OJ_DATABASE_URL` and `OJ_HOST_ID` override the file. The host id defaults
 * to the host name plus a short hash of the state dir, so two daemons on one
 * machine (two state dirs) differ.
 */
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { closest } from '../runbook/did-you-mean.js';

export interface ClusterConfig {
  /** Null: single host (SQLite only). */
  databaseUrl: string | null;
  hostId: string;
  /** Where each value came from, for messages and `oj daemon status`. */
  sources: { databaseUrl: string | null; hostId: string };
}

export const CLUSTER_KEYS = ['database_url', 'host_id'] as const;
const HOST_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

export class ClusterConfigError extends Error {
  override readonly name = 'ClusterConfigError';
}

export function defaultHostId(stateDir: string, host: string = hostname()): string {
  const name = host.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, 48) || 'host';
  return `${name}-${createHash('sha256').update(stateDir).digest('hex').slice(0, 6)}`;
}

/** `doc`: the [cluster] table of the daemon's config file (undefined: none); `file`: its path for messages. */
export function parseClusterConfig(doc: unknown, file: string, stateDir: string, env: NodeJS.ProcessEnv): ClusterConfig {
  const table: Record<string, unknown> = {};
  if (doc !== undefined) {
    if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new ClusterConfigError(`${file}: cluster must be a table ([cluster])`);
    for (const [key, value] of Object.entries(doc as Record<string, unknown>)) {
      if (!(CLUSTER_KEYS as readonly string[]).includes(key)) {
        const hint = closest(key, CLUSTER_KEYS);
        throw new ClusterConfigError(`${file}: [cluster] has no key "${key}"${hint ? ` (did you mean "${hint}"?)` : ''}; keys: ${CLUSTER_KEYS.join(', ')}`);
      }
      if (typeof value !== 'string') throw new ClusterConfigError(`${file} [cluster] ${key}: expected a string`);
      table[key] = value;
    }
  }
  let databaseUrl: string | null = null;
  let urlSource: string | null = null;
  if (env.OJ_DATABASE_URL) {
    databaseUrl = env.OJ_DATABASE_URL;
    urlSource = 'environment variable OJ_DATABASE_URL';
  } else if (typeof table.database_url === 'string' && table.database_url !== '') {
    databaseUrl = table.database_url;
    urlSource = `${file} [cluster] database_url`;
  }
  if (databaseUrl !== null) checkDatabaseUrl(databaseUrl, urlSource!);
  let hostId = defaultHostId(stateDir);
  let hostSource = 'default (host name and state dir)';
  if (env.OJ_HOST_ID) {
    hostId = env.OJ_HOST_ID;
    hostSource = 'environment variable OJ_HOST_ID';
  } else if (typeof table.host_id === 'string') {
    hostId = table.host_id;
    hostSource = `${file} [cluster] host_id`;
  }
  if (!HOST_ID.test(hostId)) {
    throw new ClusterConfigError(`${hostSource}: "${hostId}" is not a host id (letters, digits, ".", "_" and "-", at most 63, starting with a letter or digit)`);
  }
  return { databaseUrl, hostId, sources: { databaseUrl: urlSource, hostId: hostSource } };
}

/** A libpq-style URL: postgres:// or postgresql://, e.g. the Unix-socket form postgresql://oj@/ojdb?host=/run/postgresql. */
function checkDatabaseUrl(url: string, where: string): void {
  const m = /^([a-z][a-z0-9+.-]*):\/\/([^/?#]*)(\/[^?#]*)?/i.exec(url);
  if (!m) throw new ClusterConfigError(`${where}: not a URL (expected postgresql://user@host/db or postgresql://user@/db?host=/socket/dir)`);
  const scheme = m[1]!.toLowerCase();
  if (scheme !== 'postgres' && scheme !== 'postgresql') throw new ClusterConfigError(`${where}: expected a postgresql:// URL, not ${scheme}://`);
  if (!m[3] || m[3] === '/') throw new ClusterConfigError(`${where}: the URL names no database (postgresql://user@host/DATABASE)`);
}

/** The URL with any password hidden, for logs and status. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/?#@]*):[^@/?#]*@/i, '$1:***@');
}
