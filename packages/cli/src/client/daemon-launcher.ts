/**
 * Finding, starting and waiting for ojd. `connectOrStart` is what every
 * ordinary command uses: connect, and if nobody answers start ojd detached
 * and retry until a deadline. When the start fails, the daemon's own error
 * line from its log is what the user sees.
 */
import { closeSync, mkdirSync, openSync, readSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { ErrorCode, OjError, resolveSocketPath, resolveStateDir, statePaths } from '@oj/protocol/client';
import { RpcConnection } from './rpc-connection.js';

export interface DaemonLocation {
  socket: string;
  stateDir: string;
}

export function daemonLocation(env: NodeJS.ProcessEnv = process.env): DaemonLocation {
  return { socket: resolveSocketPath(env), stateDir: resolveStateDir(env) };
}

export function ojdBinPath(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('@oj/daemon/package.json')), 'bin', 'ojd.js');
}

function isNotListening(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ECONNREFUSED' || code === 'ENOTSOCK';
}

/** Connects if a daemon answers; null if none does. */
export async function tryConnect(loc: DaemonLocation): Promise<RpcConnection | null> {
  try {
    return await RpcConnection.connect(loc.socket);
  } catch (err) {
    if (isNotListening(err)) return null;
    throw err;
  }
}

export async function connectOrStart(loc: DaemonLocation = daemonLocation()): Promise<RpcConnection> {
  const existing = await tryConnect(loc);
  if (existing) return existing;
  await startDetached(loc);
  const conn = await tryConnect(loc);
  if (!conn) throw new OjError(ErrorCode.Unavailable, `ojd started but ${loc.socket} does not answer`, { kind: 'unavailable' });
  return conn;
}

/** Starts ojd detached and waits until it answers (or reports why it could not start). */
export async function startDetached(loc: DaemonLocation, timeoutMs = 10_000): Promise<number> {
  mkdirSync(loc.stateDir, { recursive: true, mode: 0o700 });
  const paths = statePaths(loc.stateDir);
  const logSize = fileSize(paths.log);
  // Appended to (the daemon caps it in place, see out-file-cap.ts in the daemon).
  const out = openSync(paths.out, 'a', 0o600);
  // Loaded here, not at the top: every `oj` run connects, few start the daemon.
  const { spawn } = await import('node:child_process');
  const child = spawn(process.execPath, [ojdBinPath(), '--quiet'], {
    detached: true,
    stdio: ['ignore', out, out],
    env: { ...process.env, OJ_STATE_DIR: loc.stateDir, OJ_SOCKET: loc.socket },
  });
  closeSync(out);
  let exited: number | null = null;
  child.on('exit', (code) => {
    exited = code ?? 1;
  });
  child.unref();
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const conn = await tryConnect(loc);
    if (conn) {
      conn.close();
      return child.pid ?? 0;
    }
    if (exited !== null) break;
    await delay(25);
  }
  const reason = daemonStartError(paths.log, logSize) ?? (exited !== null ? `ojd exited with code ${exited}` : null);
  throw new OjError(
    ErrorCode.Unavailable,
    reason ? `could not start ojd: ${reason}` : `could not start ojd: no answer on ${loc.socket} after ${timeoutMs} ms`,
    { kind: 'unavailable', hint: `see ${paths.log} (oj daemon logs)` },
  );
}

/** The first error line the daemon logged after `fromByte`, if any. */
export function daemonStartError(logFile: string, fromByte: number): string | null {
  let text: string;
  try {
    const size = statSync(logFile).size;
    const buf = Buffer.alloc(Math.max(0, size - fromByte));
    const fd = openSync(logFile, 'r');
    try {
      readSync(fd, buf, 0, buf.length, fromByte);
    } finally {
      closeSync(fd);
    }
    text = buf.toString('utf8');
  } catch {
    return null;
  }
  for (const line of text.split('\n')) {
    try {
      const entry = JSON.parse(line) as { level?: string; message?: string };
      if (entry.level === 'error' && entry.message) return entry.message;
    } catch {
      // not a JSON line
    }
  }
  return null;
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

export function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
