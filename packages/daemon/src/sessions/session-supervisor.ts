/**
 * Starts agent sessions as detached host processes and finds them again.
 *
 * Each session is a directory under the sessions root (0700) holding its
 * spec, transcript, socket and exit record; the host process outlives ojd.
 * At daemon start `reconnect(id)` reattaches to a live host, or reports the
 * exit it recorded while ojd was away, or `vanished` when the host is gone
 * without a record (the agent counts as dead). At daemon stop `stopAll()`
 * only disconnects unless told to kill.
 */
import { spawn } from 'node:child_process';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ErrorCode, OjError, SessionHostMethods as M } from '@oj/protocol';
import { SessionHandle, type KillOptions } from './session-handle.js';
import { processAlive as processIsRunning } from '@oj/protocol';
import { processStartTime, recordedGroupIsOurs } from '../spawner/process-start.js';
import { SessionHostClient } from './session-host-client.js';
import {
  MAX_SOCKET_PATH_BYTES,
  readExitRecord,
  readHostError,
  sessionPaths,
  type ExitRecord,
  type SessionPaths,
} from './session-files.js';

export interface SessionSupervisorOptions {
  /** Directory of session directories (created 0700), e.g. `<state dir>/sessions`. */
  sessionsRoot: string;
  /** The compiled host entry (default: session-host-main.js beside this module). */
  hostEntry?: string;
  /** Node binary for the host (default: this process's). */
  nodePath?: string;
  /** Clock for idle time (default Date.now). */
  now?: () => number;
  /** How long `start` waits for the host's socket (default 10 s). */
  startTimeoutMs?: number;
  /** How long `reconnect` keeps trying a host whose process still exists (default 2 s). */
  reconnectGraceMs?: number;
  /** Deadline of each call to a host (default 10 s). */
  callTimeoutMs?: number;
  /** Pause between a nudge's text and its Enter (default 100 ms). */
  enterDelayMs?: number;
}

export type SessionStartSpec = M.SessionSpecInput;

export type ReconnectResult =
  | { status: 'running'; handle: SessionHandle }
  /** The command exited; `handle` is set while the host still lingers (final screen readable). */
  | { status: 'exited'; exit: ExitRecord; handle?: SessionHandle }
  | { status: 'vanished'; hostError?: string };

export interface StopAllOptions {
  /** Kill every session (SIGTERM, then SIGKILL after graceMs) and end its host; default: only disconnect. */
  kill?: boolean;
  graceMs?: number;
}

const POLL_MS = 25;

interface SpawnedHost {
  pid: number;
  /** The host's start time (spawner/process-start.ts), so that a kill never reaches a process that reused its pid. */
  start: number | null;
  exited: boolean;
  spawnError?: string;
}

export class SessionSupervisor {
  private readonly sessionsRoot: string;
  private readonly hostEntry: string;
  private readonly nodePath: string;
  private readonly now: () => number;
  private readonly startTimeoutMs: number;
  private readonly reconnectGraceMs: number;
  private readonly callTimeoutMs: number;
  private readonly enterDelayMs: number;
  private readonly handles = new Map<string, SessionHandle>();

  constructor(options: SessionSupervisorOptions) {
    this.sessionsRoot = options.sessionsRoot;
    this.hostEntry = options.hostEntry ?? fileURLToPath(new URL('./session-host-main.js', import.meta.url));
    this.nodePath = options.nodePath ?? process.execPath;
    this.now = options.now ?? Date.now;
    this.startTimeoutMs = options.startTimeoutMs ?? 10_000;
    this.reconnectGraceMs = options.reconnectGraceMs ?? 2000;
    this.callTimeoutMs = options.callTimeoutMs ?? 10_000;
    this.enterDelayMs = options.enterDelayMs ?? 100;
  }

  paths(id: string): SessionPaths {
    return sessionPaths(join(this.sessionsRoot, checkId(id)));
  }

  /**
   * Creates the session directory (0700) ahead of `start`, so the caller can
   * put files there first (the rendered prompt). Fine to call for a directory
   * that exists; `start` refuses only an id that already has a spec.json.
   */
  prepareDir(id: string): SessionPaths {
    const paths = this.paths(id);
    mkdirSync(this.sessionsRoot, { recursive: true, mode: 0o700 });
    mkdirSync(paths.dir, { recursive: true, mode: 0o700 });
    chmodSync(paths.dir, 0o700);
    return paths;
  }

  /** Creates the session directory, spawns its host and resolves once the host serves its socket. */
  async start(input: SessionStartSpec): Promise<SessionHandle> {
    const parsed = M.sessionSpecSchema().safeParse(input);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => `${i.path.join('.') || 'spec'}: ${i.message}`);
      throw new OjError(ErrorCode.BadArguments, `invalid session spec: ${issues.join('; ')}`, { kind: 'bad_arguments', issues });
    }
    const spec = parsed.data;
    const paths = this.paths(spec.id);
    const socketBytes = Buffer.byteLength(paths.socket);
    if (socketBytes > MAX_SOCKET_PATH_BYTES) {
      throw new OjError(
        ErrorCode.BadArguments,
        `session socket path is ${socketBytes} bytes, over the ${MAX_SOCKET_PATH_BYTES}-byte limit of unix sockets: ${paths.socket}`,
        { kind: 'bad_arguments', hint: 'use a shorter state directory (OJ_STATE_DIR) or session id' },
      );
    }
    if (!existsSync(this.hostEntry)) {
      throw new OjError(ErrorCode.Unavailable, `session host entry not found: ${this.hostEntry}`, {
        kind: 'unavailable',
        hint: 'build the daemon (npx tsc -b packages/daemon)',
      });
    }
    this.prepareDir(spec.id);
    try {
      writeFileSync(paths.spec, JSON.stringify(spec, null, 2) + '\n', { flag: 'wx', mode: 0o600 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
        throw new OjError(ErrorCode.AlreadyExists, `session already exists: ${spec.id}`, { kind: 'already_exists', id: spec.id });
      }
      throw error;
    }

    const host = this.spawnHost(paths);
    const client = await this.waitForHost(spec.id, paths, host);
    return this.attach(spec.id, paths, client);
  }

  /**
   * Finds a session again (daemon start): `running` with a handle, `exited`
   * with the recorded exit (and a handle while the host lingers), or
   * `vanished` when the host is gone without recording an exit.
   */
  async reconnect(id: string): Promise<ReconnectResult> {
    const existing = this.handles.get(id);
    if (existing?.connected) return resultOf(existing);
    const paths = this.paths(id);
    if (!existsSync(paths.spec)) throw OjError.notFound('session', id);

    const deadline = Date.now() + this.reconnectGraceMs;
    for (;;) {
      const client = await this.tryConnect(paths);
      if (client) return resultOf(await this.attach(id, paths, client));
      const exit = await readExitRecord(paths);
      if (exit) return { status: 'exited', exit };
      // A host that still runs may be starting up (ojd died while starting it): give it a moment.
      if (!hostProcessExists(paths) || Date.now() >= deadline) {
        const hostError = readHostError(paths);
        return hostError ? { status: 'vanished', hostError } : { status: 'vanished' };
      }
      await delay(POLL_MS);
    }
  }

  get(id: string): SessionHandle | undefined {
    return this.handles.get(id);
  }

  /** Handles connected through this supervisor. */
  list(): SessionHandle[] {
    return [...this.handles.values()];
  }

  /** Ids of every session directory under the root (live or not), for reconciliation. */
  listOnDisk(): string[] {
    let names: string[];
    try {
      names = readdirSync(this.sessionsRoot);
    } catch {
      return [];
    }
    return names.filter((name) => existsSync(join(this.sessionsRoot, name, 'spec.json'))).sort();
  }

  /** Daemon stop: disconnect from every host (default), or kill every session and end its host. */
  async stopAll(options: StopAllOptions = {}): Promise<void> {
    const handles = [...this.handles.values()];
    this.handles.clear();
    await Promise.allSettled(
      handles.map(async (handle) => {
        if (!options.kill) {
          handle.disconnect();
          return;
        }
        const killOptions: KillOptions = options.graceMs === undefined ? {} : { graceMs: options.graceMs };
        try {
          await handle.kill(killOptions);
        } finally {
          await handle.shutdown().catch(() => handle.disconnect());
        }
      }),
    );
  }

  private spawnHost(paths: SessionPaths): SpawnedHost {
    // The host's stderr goes to host.err, never to ojd's stdio, so ojd dying cannot break it.
    const errFd = openSync(paths.err, 'a', 0o600);
    try {
      const child = spawn(this.nodePath, [this.hostEntry, paths.dir], {
        cwd: paths.dir,
        detached: true,
        stdio: ['ignore', 'ignore', errFd],
        env: hostEnvironment(),
      });
      const pid = child.pid ?? -1;
      const host: SpawnedHost = { pid, start: processStartTime(pid), exited: false };
      child.on('error', (error) => {
        host.exited = true;
        host.spawnError = error.message;
      });
      child.on('exit', () => {
        host.exited = true;
      });
      child.unref();
      return host;
    } finally {
      closeSync(errFd);
    }
  }

  private async waitForHost(id: string, paths: SessionPaths, host: SpawnedHost): Promise<SessionHostClient> {
    const deadline = Date.now() + this.startTimeoutMs;
    for (;;) {
      const client = await this.tryConnect(paths);
      if (client) return client;
      if (host.spawnError) throw startFailed(id, paths, `cannot spawn ${this.nodePath}: ${host.spawnError}`);
      if (host.exited) throw startFailed(id, paths, 'the session host exited during start');
      if (Date.now() >= deadline) {
        killGroup(host.pid, host.start);
        throw startFailed(id, paths, `the session host did not listen within ${this.startTimeoutMs} ms`);
      }
      await delay(POLL_MS);
    }
  }

  private async tryConnect(paths: SessionPaths): Promise<SessionHostClient | undefined> {
    try {
      return await SessionHostClient.connect(paths.socket, { callTimeoutMs: this.callTimeoutMs });
    } catch {
      return undefined;
    }
  }

  private async attach(id: string, paths: SessionPaths, client: SessionHostClient): Promise<SessionHandle> {
    let handle: SessionHandle;
    try {
      const info = await client.info();
      handle = new SessionHandle({
        id,
        paths,
        client,
        info,
        now: this.now,
        enterDelayMs: this.enterDelayMs,
        onDetached: (h) => {
          if (this.handles.get(id) === h) this.handles.delete(id);
        },
      });
      await handle.subscribe();
    } catch (error) {
      client.close();
      throw error;
    }
    if (client.closed) return handle;
    this.handles.set(id, handle);
    return handle;
  }
}

function resultOf(handle: SessionHandle): ReconnectResult {
  const end = handle.end;
  if (end?.kind === 'exited') {
    return { status: 'exited', exit: { exitCode: end.exitCode, signal: end.signal, at: end.at }, handle };
  }
  if (end?.kind === 'vanished') return end.hostError ? { status: 'vanished', hostError: end.hostError } : { status: 'vanished' };
  return { status: 'running', handle };
}

function startFailed(id: string, paths: SessionPaths, what: string): OjError {
  const hostError = readHostError(paths);
  const message = hostError ? `session ${id} failed to start: ${hostError}` : `session ${id} failed to start: ${what}`;
  return new OjError(ErrorCode.Unavailable, message, {
    kind: 'session_start_failed',
    id,
    ...(hostError ? { hostError } : {}),
    hint: `see ${paths.err}`,
  });
}

function checkId(id: string): string {
  const parsed = M.sessionId().safeParse(id);
  if (!parsed.success) {
    throw new OjError(ErrorCode.BadArguments, `invalid session id: ${JSON.stringify(id)}`, { kind: 'bad_arguments' });
  }
  return parsed.data;
}

/** The host needs little: its own environment never reaches the command (spec.env does). */
function hostEnvironment(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const key of ['PATH', 'HOME', 'TMPDIR', 'LANG']) {
    const value = process.env[key];
    if (value !== undefined) env[key] = value;
  }
  return env;
}

function hostProcessExists(paths: SessionPaths): boolean {
  let pid: number;
  try {
    pid = Number.parseInt(readFileSync(paths.pid, 'utf8').trim(), 10);
  } catch {
    return false;
  }
  return processIsRunning(pid);
}

function killGroup(pid: number, start: number | null): void {
  if (!recordedGroupIsOurs(pid, start)) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    /* already gone */
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
