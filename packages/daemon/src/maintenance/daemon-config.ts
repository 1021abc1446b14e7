/**
 * The daemon's own settings. A project's `.oj/config.toml` belongs to that
 * project, but there is one daemon per user serving every project, so what
 * governs the daemon as a whole lives beside its state:
 *
 *   <state dir>/config.toml            (optional)
 *     [retention]
 *     events = "30d"          # events older than this are pruned ("off": kept)
 *     events_max = 1000000    # and at most this many are kept ("off": no cap)
 *     transcripts = "30d"     # session dirs of sessions ended longer ago
 *     logs = "30d"            # phase logs of pipelines finished longer ago
 *     prune_every = "1h"      # how often pruning runs ("off": only `oj daemon prune`)
 *
 *     [connections]
 *     idle_timeout = "2m"     # a connection that waits for nothing and follows nothing is closed
 *     follow_stall = "1m"     # a follower that reads none of its waiting output this long gets no more
 *
 *     [cluster]               # cluster mode (cluster/cluster-config.ts, docs/cluster.md)
 *     database_url = "postgresql://oj@/ojdb?host=/run/postgresql"
 *     host_id = "build-1"
 *
 * Environment variables override the file (a service unit or a test can set
 * them): OJ_RETENTION_EVENTS, OJ_RETENTION_EVENTS_MAX, OJ_RETENTION_TRANSCRIPTS,
 * OJ_RETENTION_LOGS, OJ_RETENTION_EVERY, OJ_IDLE_TIMEOUT, OJ_FOLLOW_STALL, OJ_DATABASE_URL, OJ_HOST_ID. Read at start; a bad value stops the
 * daemon from starting with a message naming the file (or variable) and key.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import TOML from '@iarna/toml';
import type { RetentionSettings } from '@oj/protocol';
import { ClusterConfigError, parseClusterConfig, type ClusterConfig } from './cluster-config.js';
import { closest } from '../runbook/did-you-mean.js';
import { DURATION_HINT, parseDuration } from '../runbook/duration.js';

export class DaemonConfigError extends Error {
  override readonly name = 'DaemonConfigError';
}

export interface Retention {
  eventsMs: number | null;
  eventsMax: number | null;
  transcriptsMs: number | null;
  logsMs: number | null;
  everyMs: number | null;
  /** As written, for `oj daemon prune` and the log. */
  settings: RetentionSettings;
}

export interface Connections {
  /** A connection with no request in flight that follows nothing is closed after this long idle. */
  idleMs: number;
  /**
   * A pipeline follower whose unread output stays over the pause mark this
   * long is told it is too slow and sent no more output (output-feed.ts).
   */
  followStallMs: number;
}

export interface DaemonConfig {
  retention: Retention;
  connections: Connections;
  /** Cluster mode (docs/cluster.md): the shared PostgreSQL, if any, and this daemon's host id. */
  cluster: ClusterConfig;
}

const SECTIONS = ['retention', 'connections', 'cluster'];

export const CONNECTION_DEFAULTS = { idle_timeout: '2m', follow_stall: '1m' } as const;
type ConnectionKey = keyof typeof CONNECTION_DEFAULTS;
const CONNECTION_ENV: Record<ConnectionKey, string> = { idle_timeout: 'OJ_IDLE_TIMEOUT', follow_stall: 'OJ_FOLLOW_STALL' };
/** Shorter than this, a client could not send its next request in time. */
const MIN_IDLE_MS = 1000;

export const RETENTION_DEFAULTS = {
  events: '30d',
  events_max: 1_000_000,
  transcripts: '30d',
  logs: '30d',
  prune_every: '1h',
} as const;

type RetentionKey = keyof typeof RETENTION_DEFAULTS;
const KEYS = Object.keys(RETENTION_DEFAULTS) as RetentionKey[];
const ENV: Record<RetentionKey, string> = {
  events: 'OJ_RETENTION_EVENTS',
  events_max: 'OJ_RETENTION_EVENTS_MAX',
  transcripts: 'OJ_RETENTION_TRANSCRIPTS',
  logs: 'OJ_RETENTION_LOGS',
  prune_every: 'OJ_RETENTION_EVERY',
};
/** Shorter than this, pruning would spin. */
const MIN_EVERY_MS = 100;

export function daemonConfigPath(stateDir: string): string {
  return join(stateDir, 'config.toml');
}

export function loadDaemonConfig(stateDir: string, env: NodeJS.ProcessEnv = process.env): DaemonConfig {
  const file = daemonConfigPath(stateDir);
  const raw: Partial<Record<RetentionKey, unknown>> = {};
  const sources = ['defaults'];
  let text: string | null = null;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new DaemonConfigError(`cannot read ${file}: ${(err as Error).message}`);
  }
  const where = new Map<RetentionKey, string>();
  let connectionsDoc: unknown = undefined;
  let clusterDoc: unknown = undefined;
  if (text !== null) {
    let doc: Record<string, unknown>;
    try {
      doc = TOML.parse(text) as Record<string, unknown>;
    } catch (err) {
      throw new DaemonConfigError(`${file}: ${(err as Error).message.split('\n')[0]}`);
    }
    for (const section of Object.keys(doc)) {
      if (!SECTIONS.includes(section)) {
        const hint = closest(section, SECTIONS);
        throw new DaemonConfigError(`${file}: unknown section [${section}]${hint ? ` (did you mean [${hint}]?)` : ''}`);
      }
    }
    const retention = doc.retention ?? {};
    if (typeof retention !== 'object' || retention === null || Array.isArray(retention)) {
      throw new DaemonConfigError(`${file}: retention must be a table ([retention])`);
    }
    for (const [key, value] of Object.entries(retention)) {
      if (!(KEYS as string[]).includes(key)) {
        const hint = closest(key, KEYS);
        throw new DaemonConfigError(`${file}: [retention] has no key "${key}"${hint ? ` (did you mean "${hint}"?)` : ''}; keys: ${KEYS.join(', ')}`);
      }
      raw[key as RetentionKey] = value;
      where.set(key as RetentionKey, `${file} [retention] ${key}`);
    }
    sources.push(file);
    connectionsDoc = doc.connections;
    clusterDoc = doc.cluster;
  }
  for (const key of KEYS) {
    const value = env[ENV[key]];
    if (value !== undefined && value !== '') {
      raw[key] = value;
      where.set(key, `environment variable ${ENV[key]}`);
      if (!sources.includes('environment')) sources.push('environment');
    }
  }

  const span = (key: Exclude<RetentionKey, 'events_max'>): { ms: number | null; text: string | null } => {
    const value = raw[key] ?? RETENTION_DEFAULTS[key];
    if (value === false || value === 'off') return { ms: null, text: null };
    if (typeof value !== 'string') throw new DaemonConfigError(`${where.get(key)}: expected a duration or "off"`);
    const d = parseDuration(value);
    if (!d.ok) throw new DaemonConfigError(`${where.get(key)}: ${d.message} (${d.hint === DURATION_HINT ? `${DURATION_HINT}, or "off"` : d.hint})`);
    if (d.duration.ms <= 0) throw new DaemonConfigError(`${where.get(key)}: must be longer than 0 (or "off")`);
    return { ms: d.duration.ms, text: d.duration.text };
  };
  const count = (): number | null => {
    const value = raw.events_max ?? RETENTION_DEFAULTS.events_max;
    if (value === false || value === 'off') return null;
    const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 1) {
      throw new DaemonConfigError(`${where.get('events_max')}: expected a whole number of events (at least 1) or "off"`);
    }
    return n;
  };

  const events = span('events');
  const transcripts = span('transcripts');
  const logs = span('logs');
  const every = span('prune_every');
  if (every.ms !== null && every.ms < MIN_EVERY_MS) throw new DaemonConfigError(`${where.get('prune_every')}: must be at least ${MIN_EVERY_MS}ms`);
  const eventsMax = count();
  let cluster: ClusterConfig;
  try {
    cluster = parseClusterConfig(clusterDoc, file, stateDir, env);
  } catch (err) {
    if (err instanceof ClusterConfigError) throw new DaemonConfigError(err.message);
    throw err;
  }
  return {
    cluster,
    connections: parseConnections(connectionsDoc, file, env),
    retention: {
      eventsMs: events.ms,
      eventsMax,
      transcriptsMs: transcripts.ms,
      logsMs: logs.ms,
      everyMs: every.ms,
      settings: { events: events.text, eventsMax, transcripts: transcripts.text, logs: logs.text, every: every.text, sources },
    },
  };
}

function parseConnections(doc: unknown, file: string, env: NodeJS.ProcessEnv): Connections {
  const keys = Object.keys(CONNECTION_DEFAULTS) as ConnectionKey[];
  const value: Record<ConnectionKey, unknown> = { ...CONNECTION_DEFAULTS };
  const where: Record<ConnectionKey, string> = { idle_timeout: 'the default idle_timeout', follow_stall: 'the default follow_stall' };
  if (doc !== undefined) {
    if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new DaemonConfigError(`${file}: connections must be a table ([connections])`);
    for (const [key, v] of Object.entries(doc)) {
      if (!(keys as string[]).includes(key)) throw new DaemonConfigError(`${file}: [connections] has no key "${key}"; keys: ${keys.join(', ')}`);
      value[key as ConnectionKey] = v;
      where[key as ConnectionKey] = `${file} [connections] ${key}`;
    }
  }
  const ms = (key: ConnectionKey): number => {
    const fromEnv = env[CONNECTION_ENV[key]];
    if (fromEnv) {
      value[key] = fromEnv;
      where[key] = `environment variable ${CONNECTION_ENV[key]}`;
    }
    const v = value[key];
    if (typeof v !== 'string') throw new DaemonConfigError(`${where[key]}: expected a duration`);
    const d = parseDuration(v);
    if (!d.ok) throw new DaemonConfigError(`${where[key]}: ${d.message} (${d.hint})`);
    if (d.duration.ms < MIN_IDLE_MS) throw new DaemonConfigError(`${where[key]}: must be at least 1s`);
    return d.duration.ms;
  };
  return { idleMs: ms('idle_timeout'), followStallMs: ms('follow_stall') };
}
