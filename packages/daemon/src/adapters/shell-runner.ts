/**
 * Runs a shell script with `bash -c` in its own process group, appending its
 * output to a log file and handing each chunk to a listener. Stopping kills
 * the whole group (TERM, then KILL after a grace period), so nothing a phase
 * started outlives it. Every group is tracked until it is empty, so a daemon
 * stop can end them all (`stopAllShells`) and leave no orphan behind.
 */
import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { execa } from 'execa';

export interface ShellRun {
  readonly pid: number;
  /** Resolves when the script has ended. */
  readonly done: Promise<ShellOutcome>;
  /** Kills the process group; `done` then resolves with `killed: true`. */
  stop(reason: string): void;
}

export interface ShellOutcome {
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  /** Set when stop() ended it. */
  stoppedBecause: string | null;
}

export interface ShellOptions {
  script: string;
  cwd: string;
  env: Record<string, string>;
  logFile?: string;
  timeoutMs?: number;
  onOutput?: (data: string, stream: 'stdout' | 'stderr') => void;
  /** Text for stdin (default: none). */
  input?: string;
}

const KILL_GRACE_MS = 3000;

/** Process groups started here that may still have members. */
const groups = new Set<number>();

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** How many process groups started by runShell still have members. */
export function liveShellGroups(): number {
  for (const g of groups) if (!groupAlive(g)) groups.delete(g);
  return groups.size;
}

/**
 * Daemon stop: TERM every process group still alive, KILL what is left after
 * the grace period; resolves once all are gone. Returns how many there were.
 */
export async function stopAllShells(graceMs = KILL_GRACE_MS): Promise<number> {
  const alive = [...groups].filter(groupAlive);
  for (const g of alive) signalGroup(g, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && alive.some(groupAlive)) await new Promise((r) => setTimeout(r, 25));
  for (const g of alive) if (groupAlive(g)) signalGroup(g, 'SIGKILL');
  const killDeadline = Date.now() + 1000;
  while (Date.now() < killDeadline && alive.some(groupAlive)) await new Promise((r) => setTimeout(r, 10));
  for (const g of alive) groups.delete(g);
  return alive.length;
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // already gone
  }
}

export function runShell(o: ShellOptions): ShellRun {
  let log: ReturnType<typeof createWriteStream> | null = null;
  if (o.logFile) {
    mkdirSync(dirname(o.logFile), { recursive: true });
    log = createWriteStream(o.logFile, { flags: 'a' });
  }
  const child = execa('bash', ['-c', o.script], {
    cwd: o.cwd,
    env: o.env,
    extendEnv: false,
    detached: true,
    cleanup: false,
    reject: false,
    buffer: false,
    stdin: o.input !== undefined ? 'pipe' : 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
  });
  if (o.input !== undefined) child.stdin?.end(o.input);
  const pid = child.pid ?? -1;
  if (pid > 0) groups.add(pid);
  let stoppedBecause: string | null = null;
  let timedOut = false;
  let killTimer: NodeJS.Timeout | null = null;

  const killGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-pid, signal);
    } catch {
      // already gone
    }
  };
  const stop = (reason: string) => {
    if (stoppedBecause !== null || pid < 0) return;
    stoppedBecause = reason;
    killGroup('SIGTERM');
    killTimer = setTimeout(() => killGroup('SIGKILL'), KILL_GRACE_MS);
    killTimer.unref();
  };
  const timeout = o.timeoutMs
    ? setTimeout(() => {
        timedOut = true;
        stop(`timed out after ${o.timeoutMs} ms`);
      }, o.timeoutMs)
    : null;
  timeout?.unref();

  const tap = (stream: 'stdout' | 'stderr') => (chunk: Buffer) => {
    log?.write(chunk);
    o.onOutput?.(chunk.toString('utf8'), stream);
  };
  child.stdout?.on('data', tap('stdout'));
  child.stderr?.on('data', tap('stderr'));

  const done = child.then(
    async (r) => {
      if (timeout) clearTimeout(timeout);
      // The group may hold background children of the script: end them too (KILL if TERM is not enough).
      killGroup('SIGTERM');
      if (killTimer) clearTimeout(killTimer);
      if (pid > 0) {
        if (groupAlive(pid)) {
          setTimeout(() => {
            if (groupAlive(pid)) killGroup('SIGKILL');
            groups.delete(pid);
          }, KILL_GRACE_MS).unref();
        } else groups.delete(pid);
      }
      if (log) await new Promise<void>((res) => log!.end(() => res()));
      return {
        exitCode: r.exitCode ?? null,
        signal: r.signal ?? null,
        timedOut,
        stoppedBecause,
      };
    },
  );
  return { pid, done, stop };
}

/** Ends a process group left behind by an earlier daemon (best effort). */
export function killProcessGroup(pgid: number): boolean {
  try {
    process.kill(-pgid, 'SIGKILL');
    return true;
  } catch {
    return false;
  }
}
