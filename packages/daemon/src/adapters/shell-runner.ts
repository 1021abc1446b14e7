/**
 * Runs a shell script with `bash -c` in its own process group, appending its
 * output to a log file and handing each chunk to a listener. Stopping kills
 * the whole group (TERM, then KILL after a grace period), so nothing a phase
 * started outlives it. Every group is tracked until it is empty, so a daemon
 * stop can end them all (`stopAllShells`) and leave no orphan behind.
 */
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { closeSync, createWriteStream, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';

type StdioOption = Exclude<StdioOptions, string>[number];

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
  // node:child_process directly, not execa: a phase, a hook and a cron tick
  // each start one of these, and execa's per-process machinery (streams,
  // abort signals, result assembly) cost several ms of daemon CPU apiece.
  // Without a listener the output goes straight to the log file: no pipes.
  let log: ReturnType<typeof createWriteStream> | null = null;
  let logFd: number | null = null;
  if (o.logFile) {
    mkdirSync(dirname(o.logFile), { recursive: true });
    if (o.onOutput) log = createWriteStream(o.logFile, { flags: 'a' });
    else logFd = openSync(o.logFile, 'a');
  }
  const out: StdioOption = o.onOutput ? 'pipe' : (logFd ?? 'ignore');
  let child: ChildProcess;
  try {
    child = spawn('bash', ['-c', o.script], {
      cwd: o.cwd,
      env: o.env,
      detached: true,
      stdio: [o.input !== undefined ? 'pipe' : 'ignore', out, out],
    });
  } catch {
    // Arguments Node refuses (a NUL byte in the script...): a failed run, as a missing cwd is.
    log?.end();
    return { pid: -1, done: Promise.resolve({ exitCode: null, signal: null, timedOut: false, stoppedBecause: null }), stop: () => {} };
  } finally {
    if (logFd !== null) closeSync(logFd);
  }
  if (o.input !== undefined) {
    child.stdin?.on('error', () => {}); // the script may exit without reading it (EPIPE)
    child.stdin?.end(o.input);
  }
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

  // 'close' comes once the process has exited and its output pipes are drained;
  // 'error' instead of it when bash could not be started (e.g. a missing cwd).
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => {
    child.once('close', (code, signal) => res({ code, signal }));
    child.once('error', () => res({ code: null, signal: null }));
  });
  const done = ended.then(async (r) => {
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
      exitCode: r.code,
      signal: r.signal,
      timedOut,
      stoppedBecause,
    };
  });
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
