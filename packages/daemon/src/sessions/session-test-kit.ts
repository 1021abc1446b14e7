/**
 * Helpers for the session tests: a temp sessions root, fake-agent specs,
 * polling with a deadline, and cleanup that kills every process a test
 * started (hosts and the commands in their ptys).
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { processAlive as processIsRunning } from '@oj/protocol';
import type { SessionHandle } from './session-handle.js';
import { SessionSupervisor, type SessionStartSpec, type SessionSupervisorOptions } from './session-supervisor.js';

/** The repository root (this file is <root>/packages/daemon/{src,dist}/sessions/). */
export const repoRoot = resolve(fileURLToPath(import.meta.url), '../../../../..');
export const fakeAgentPath = join(repoRoot, 'scripts', 'fake-agent.mjs');

/** The compiled host entry; the tests spawn it, so the daemon must be built. */
export function compiledHostEntry(): string {
  const path = join(repoRoot, 'packages', 'daemon', 'dist', 'sessions', 'session-host-main.js');
  if (!existsSync(path)) throw new Error(`${path} is missing: build first (npx tsc -b packages/daemon)`);
  return path;
}

export type FakeAgentStep = Record<string, unknown>;

export function fakeAgentSpec(
  id: string,
  steps: FakeAgentStep[] | undefined,
  options: { cwd?: string; env?: Record<string, string>; args?: string[]; lingerMs?: number; cols?: number; rows?: number } = {},
): SessionStartSpec {
  const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? tmpdir() };
  if (steps) env.FAKE_AGENT_SCRIPT = JSON.stringify(steps);
  return {
    id,
    command: [process.execPath, fakeAgentPath, ...(options.args ?? [])],
    cwd: options.cwd ?? tmpdir(),
    env: { ...env, ...options.env },
    ...(options.lingerMs === undefined ? {} : { lingerMs: options.lingerMs }),
    ...(options.cols === undefined ? {} : { cols: options.cols }),
    ...(options.rows === undefined ? {} : { rows: options.rows }),
  };
}

/** Polls until `check` returns a truthy value; fails with `what` after the deadline. */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 5000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() >= deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A sessions root of its own, supervisors on it, and cleanup of every process started. */
export class SessionTestKit {
  readonly root: string;
  private readonly pids = new Set<number>();
  private readonly supervisors: SessionSupervisor[] = [];

  constructor() {
    // Short path: unix socket paths are limited to ~100 bytes.
    this.root = mkdtempSync(join(tmpdir(), 'ojs-'));
  }

  supervisor(options: Partial<SessionSupervisorOptions> = {}): SessionSupervisor {
    const supervisor = new SessionSupervisor({
      sessionsRoot: this.root,
      hostEntry: compiledHostEntry(),
      enterDelayMs: 20,
      ...options,
    });
    this.supervisors.push(supervisor);
    return supervisor;
  }

  /** Remembers a session's processes so cleanup kills them. */
  track(handle: SessionHandle): SessionHandle {
    this.pids.add(handle.hostPid);
    this.pids.add(handle.childPid);
    return handle;
  }

  hostPid(id: string): number {
    return Number.parseInt(readFileSync(join(this.root, id, 'host.pid'), 'utf8').trim(), 10);
  }

  async cleanup(): Promise<void> {
    for (const supervisor of this.supervisors) await supervisor.stopAll({ kill: false });
    for (const name of safeReaddir(this.root)) {
      try {
        this.pids.add(this.hostPid(name));
      } catch {
        /* no pid file */
      }
    }
    for (const pid of this.pids) killHard(pid);
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** True while the process runs (a zombie awaiting its reaper does not count). */
export const processExists = processIsRunning;

function killHard(pid: number): void {
  if (!Number.isInteger(pid) || pid <= 1) return;
  for (const target of [-pid, pid]) {
    try {
      process.kill(target, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
