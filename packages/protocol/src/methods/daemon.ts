/** Daemon lifecycle and health. */
import { z } from 'zod';
import { method } from '../rpc.js';
import type { UiInfo } from './ui.js';

export interface HelloResult {
  daemonVersion: string;
  protocolVersion: number;
  pid: number;
}

export interface DaemonStatus {
  version: string;
  pid: number;
  /** The spawner process that starts shell children for ojd (null: not running, or OJ_SPAWNER=inline). */
  spawnerPid: number | null;
  /**
   * How ojd starts shell children: `native` (oj's posix_spawn helper), `node`
   * (a Node spawner process: the fallback where the helper is not built, with
   * the reason in `fallback`) or `inline` (in ojd itself). OJ_SPAWNER picks one.
   */
  spawner: { kind: 'native' | 'node' | 'inline'; pid: number | null; fallback: string | null };
  startedAt: string;
  uptimeMs: number;
  socket: string;
  stateDir: string;
  database: string;
  log: string;
  /** How many of each kind of record the daemon holds. */
  counts: Record<string, number>;
  /** Projects whose runbooks are loaded, with any load problems. */
  projects: ProjectStatus[];
  /** Set while writes are refused because the disk holding the state dir is full (since when, how many); null otherwise. */
  diskFull: { since: string; refused: number } | null;
  /** Cluster mode (docs/cluster.md): this daemon's host id, the shared database and the hosts on it; null on its own. */
  cluster: ClusterStatus | null;
  /** The web dashboard (`oj ui`) while one runs (its address without the token), else null. */
  ui: UiInfo | null;
}

export interface ClusterStatus {
  hostId: string;
  /** The database URL, any password hidden. */
  database: string;
  /** Whether the shared database answered the last call. */
  reachable: boolean;
  /**
   * Per project (its cluster identity): the host that runs its sweeps
   * (visibility timeouts, hosts gone, stale holds, retention), one of the
   * hosts serving it; its lease is renewed with its heartbeat, and `held`
   * is false once it lapsed (the next host to heartbeat takes it).
   */
  leaders: { project: string; host: string; term: number; since: string; expiresAt: string; held: boolean }[];
  /** Each host with its running work: the queue items it holds and its lock and semaphore holds. */
  hosts: { host: string; startedAt: string; heartbeatAt: string; gone: boolean; items: number; holds: number }[];
}

export interface ProjectStatus {
  root: string;
  runbooks: number;
  errors: string[];
}

export const Hello = method<HelloResult>()(
  'daemon.hello',
  () => z.object({ clientVersion: z.string(), protocolVersion: z.number().int() }).strict(),
  'Version handshake; fails with VersionMismatch when client and daemon differ.',
);

export const Ping = method<{ pong: true; time: string }>()(
  'daemon.ping',
  () => z.object({}).strict().optional(),
  'Liveness check.',
);

export const Status = method<DaemonStatus>()(
  'daemon.status',
  () => z.object({ project: z.string().optional() }).strict().optional(),
  'Daemon version, uptime, paths and counts of what it holds.',
);

export const Stop = method<{ pid: number }>()(
  'daemon.stop',
  () => z.object({ killSessions: z.boolean().optional() }).strict().optional(),
  'Graceful stop: the daemon answers, then finishes its writes and exits.',
);

export const Reload = method<{ projects: ProjectStatus[] }>()(
  'daemon.reload',
  () => z.object({}).strict().optional(),
  'Reload configuration and the runbooks of every known project (same as SIGHUP).',
);
