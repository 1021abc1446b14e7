/**
 * Where the daemon's socket and state live. Every path derives from the
 * environment, so a test or a second user gets its own daemon by pointing
 * OJ_STATE_DIR (and optionally OJ_SOCKET) at a directory of its own.
 *
 * State dir: $OJ_STATE_DIR, else $XDG_STATE_HOME/oj, else ~/.local/state/oj.
 * Socket:    $OJ_SOCKET, else $OJ_STATE_DIR/ojd.sock when OJ_STATE_DIR is set,
 *            else $XDG_RUNTIME_DIR/oj/ojd.sock, else <state dir>/ojd.sock.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';

export type Env = Record<string, string | undefined>;

export function stateHome(env: Env = process.env): string {
  return nonEmpty(env.XDG_STATE_HOME) ?? join(env.HOME ?? homedir(), '.local', 'state');
}

export function resolveStateDir(env: Env = process.env): string {
  return nonEmpty(env.OJ_STATE_DIR) ?? join(stateHome(env), 'oj');
}

export function resolveSocketPath(env: Env = process.env): string {
  const explicit = nonEmpty(env.OJ_SOCKET);
  if (explicit) return explicit;
  const stateDir = nonEmpty(env.OJ_STATE_DIR);
  if (stateDir) return join(stateDir, 'ojd.sock');
  const runtime = nonEmpty(env.XDG_RUNTIME_DIR);
  if (runtime) return join(runtime, 'oj', 'ojd.sock');
  return join(resolveStateDir(env), 'ojd.sock');
}

/** Files inside the state dir. */
export function statePaths(stateDir: string) {
  return {
    database: join(stateDir, 'oj.db'),
    log: join(stateDir, 'ojd.log'),
    /** The daemon's stdout and stderr when `oj` starts it (or launchd runs it); the daemon caps it. */
    out: join(stateDir, 'ojd.out'),
    /** The dashboard server's stdout and stderr when `oj ui` starts it. */
    uiOut: join(stateDir, 'ui.out'),
    pidFile: join(stateDir, 'ojd.pid'),
    /** The running process spawner's pid and start time, for the next daemon after a crash (spawner/previous-spawner.ts). */
    spawnerFile: join(stateDir, 'spawner.pid'),
    logsDir: join(stateDir, 'logs'),
    sessionsDir: join(stateDir, 'sessions'),
    workspacesDir: join(stateDir, 'workspaces'),
  };
}

/** The longest Unix socket path Linux binds (108 bytes with the NUL); macOS allows 103. */
export const MAX_SOCKET_PATH_BYTES = process.platform === 'darwin' ? 103 : 107;

/** Why a socket path cannot be used, or null: too long a path fails to bind with a confusing error. */
export function socketPathProblem(path: string): string | null {
  const bytes = Buffer.byteLength(path);
  if (bytes <= MAX_SOCKET_PATH_BYTES) return null;
  return (
    `the socket path is ${bytes} bytes, over the ${MAX_SOCKET_PATH_BYTES} a Unix socket allows: ${path}; ` +
    'set OJ_SOCKET to a shorter path (e.g. $XDG_RUNTIME_DIR/oj/ojd.sock or /tmp/oj-$USER/ojd.sock in a private directory)'
  );
}

function nonEmpty(v: string | undefined): string | undefined {
  return v && v.length > 0 ? v : undefined;
}
