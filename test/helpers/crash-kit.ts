/**
 * Tools for the reliability suites (crash, fuzz, soak, security): the JSON-RPC
 * client (rpc-call.ts), a daemon started with extra environment
 * (fault injection, retention) that may be expected to die, kill -9 with a
 * wait, the daemon's fd count and RSS from /proc, a seeded PRNG, and a
 * read-only look at the database with the same integrity check as
 * `oj daemon check`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { Sqlite as BetterSqlite3, type SqliteDatabase } from '../../packages/daemon/src/storage/sqlite-driver.js';
import type { IntegrityReport } from '@oj/protocol';
import { checkIntegrity } from '../../packages/daemon/src/maintenance/integrity.js';
import { OJD_BIN, canConnect, waitFor, type TestEnv } from './ojd-harness.js';

export { Rpc } from './rpc-call.js';

export interface Ojd {
  child: ChildProcess;
  pid: number;
  /** Resolves with how it ended. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr(): string;
}

/** Starts ojd with extra environment; `waitReady` false for a daemon expected to die during start. */
export async function startOjd(t: TestEnv, env: NodeJS.ProcessEnv = {}, waitReady = true): Promise<Ojd> {
  const child = spawn(process.execPath, [OJD_BIN, '--quiet'], { env: { ...t.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  let done = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => {
      done = true;
      resolve({ code, signal });
    }),
  );
  const ojd: Ojd = { child, pid: child.pid!, exited, stderr: () => stderr };
  if (waitReady) {
    await waitFor(
      'ojd to answer',
      async () => {
        if (done) throw new Error(`ojd exited: ${stderr}`);
        return await canConnect(t.socket);
      },
      20_000,
    );
  }
  return ojd;
}

export async function killHard(ojd: Ojd): Promise<void> {
  try {
    process.kill(ojd.pid, 'SIGKILL');
  } catch {
    // already gone
  }
  await ojd.exited;
}

/** Open file descriptors and resident memory of a process (Linux /proc). */
export function processStats(pid: number): { fds: number; rssKb: number } {
  const fds = readdirSync(`/proc/${pid}/fd`).length;
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  return { fds, rssKb };
}

export { prng } from '../prng/prng.js';

/** The seed of a randomized suite: from the environment (to replay a failure) or fresh. */
export function seedFrom(variable: string): number {
  const given = process.env[variable];
  if (given !== undefined && given !== '') {
    const n = Number(given);
    if (!Number.isInteger(n)) throw new Error(`${variable} must be an integer, got ${given}`);
    return n >>> 0;
  }
  return (Date.now() ^ (process.pid << 16)) >>> 0;
}

/** Reads the database of a stopped (or running) daemon, read-only. */
export function withDb<T>(path: string, fn: (db: SqliteDatabase) => T): T {
  const db = new BetterSqlite3(path, { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    return fn(db);
  } finally {
    db.close();
  }
}

/** `oj daemon check` on the file, read-only. */
export function checkDb(path: string): IntegrityReport {
  return withDb(path, (db) => checkIntegrity(db, { path }));
}

/** Problems of a report, one line each (for assertion messages). */
export function problemLines(r: IntegrityReport, severities: ('error' | 'warning')[] = ['error', 'warning']): string[] {
  return r.problems.filter((p) => severities.includes(p.severity)).map((p) => `${p.severity} ${p.check}: ${p.message}`);
}

/** Whether a pid is a live (not zombie) process. */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}
