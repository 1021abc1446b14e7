/**
 * Finding, starting and waiting for ojd. `connectOrStart` is what every
 * ordinary command uses: connect, and if nobody answers start ojd detached
 * and retry until a deadline. When the start fails, the daemon's own error
 * line from its log (or, when it could not write its log, what it printed)
 * is what the user sees. A state or socket directory the daemon would refuse
 * is refused here first, before anything is written into it.
 */
import { closeSync, constants, fstatSync, openSync, readSync, statSync, statfsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import {
  ErrorCode,
  OjError,
  UnsafeDirectoryError,
  checkStateEntries,
  ensurePrivateDir,
  resolveSocketPath,
  resolveStateDir,
  socketPathProblem,
  statePaths,
} from '@oj/protocol/client';
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
  // A path too long to bind or connect to: say so (a usage error), whatever the command.
  const socketProblem = socketPathProblem(loc.socket);
  if (socketProblem) throw new OjError(ErrorCode.BadArguments, socketProblem, { kind: 'socket_path_too_long' });
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
  checkDirectories(loc);
  const paths = statePaths(loc.stateDir);
  const logSize = fileSize(paths.log);
  // Appended to, never followed through a link (the daemon caps it in place, see out-file-cap.ts in the daemon).
  const outFile = paths.out;
  const outSize = fileSize(outFile);
  const out = openOutput(outFile);
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
  const reason =
    daemonStartError(paths.log, logSize) ??
    daemonPrintedError(outFile, outSize) ??
    (exited !== null ? (noRoom(loc.stateDir) ?? `ojd exited with code ${exited}`) : null);
  throw new OjError(
    ErrorCode.Unavailable,
    reason ? `could not start ojd: ${reason}` : `could not start ojd: no answer on ${loc.socket} after ${timeoutMs} ms`,
    { kind: 'unavailable', hint: `see ${paths.log} (oj daemon logs)` },
  );
}

/**
 * What ojd would refuse, refused before it is started (and before ojd.out is
 * written): the same checks, with the same message, so that the user sees
 * the reason and the fix instead of a daemon that did not come up.
 */
function checkDirectories(loc: DaemonLocation): void {
  try {
    ensurePrivateDir(loc.stateDir);
    checkStateEntries(loc.stateDir);
    ensurePrivateDir(dirname(loc.socket));
  } catch (err) {
    if (!(err instanceof UnsafeDirectoryError)) throw err;
    throw new OjError(ErrorCode.Unavailable, `could not start ojd: ${err.message}`, { kind: 'unavailable', path: err.path });
  }
}

/**
 * The output file of a detached process (ojd.out, ui.out), appended to:
 * never through a link, and only while it is our own private file.
 */
export function openOutput(path: string, what = 'ojd'): number {
  const fd = openSync(path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
  const st = fstatSync(fd);
  const uid = process.getuid?.();
  if ((uid !== undefined && st.uid !== uid) || st.nlink !== 1 || (st.mode & 0o022) !== 0 || !st.isFile()) {
    closeSync(fd);
    throw new OjError(ErrorCode.Unavailable, `could not start ${what}: refusing to write ${path}: it is not a private file of yours; remove it (rm ${path}) and start again`, {
      kind: 'unavailable',
      path,
    });
  }
  return fd;
}

export function readFrom(file: string, fromByte: number): string | null {
  try {
    const size = statSync(file).size;
    const buf = Buffer.alloc(Math.max(0, size - fromByte));
    const fd = openSync(file, 'r');
    try {
      readSync(fd, buf, 0, buf.length, fromByte);
    } finally {
      closeSync(fd);
    }
    return buf.toString('utf8');
  } catch {
    return null;
  }
}

/** The first `ojd: ...` line ojd printed to ojd.out after `fromByte` (it prints its fatal errors there too). */
export function daemonPrintedError(outFile: string, fromByte: number): string | null {
  const text = readFrom(outFile, fromByte);
  if (text === null) return null;
  for (const line of text.split('\n')) {
    const m = /^ojd: (?:failed to start: )?(.+)$/.exec(line.trim());
    if (m) return m[1]!;
  }
  return null;
}

/** The first error line the daemon logged after `fromByte`, if any. */
export function daemonStartError(logFile: string, fromByte: number): string | null {
  const text = readFrom(logFile, fromByte);
  if (text === null) return null;
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

/** When ojd could not even say why it stopped: the disk holding its state dir may be full. */
function noRoom(stateDir: string): string | null {
  try {
    if (statfsSync(stateDir).bavail > 0) return null;
  } catch {
    return null;
  }
  return `disk full (ENOSPC): no space left on the file system of ${stateDir}; free some space (df -h ${stateDir}) and try again`;
}

export function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

export function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
