/**
 * The daemon's one way to start a child: every script ojd runs (phases,
 * hooks, recovery actions, guards, strategy checkpoints and rollbacks, crons,
 * monitor sources and conditions, queue sources, agent input sources, `oj
 * run` shell commands) goes through a ShellRunner. It runs the script with
 * `bash -c` in its own process group (started by the spawner process, see
 * spawner/), in an environment only child-env.ts builds (`env()`), appending
 * its output to a log file and handing it to a listener as text, with an
 * optional timeout. Stopping kills the whole group (TERM, then KILL after a
 * grace period), so nothing a phase started outlives it. A runner tracks
 * every group it started until it is empty, so a daemon stop can end them
 * all (`stopAll`) and leave no orphan behind. The daemon makes one runner,
 * over its process spawner, and hands it to whatever starts children.
 */
import { appendFileSync } from 'node:fs';
import { recordedGroupIsOurs } from '../spawner/process-start.js';
import type { ProcessSpawner } from '../spawner/process-spawner.js';
import type { OutputControl } from '../spawner/launch.js';
import type { ChildEnv, ChildEnvSpec, ChildEnvironment } from './child-env.js';
import { setLongTimeout } from './long-timer.js';

export interface ShellRun {
  /** The pid, which is also the process group id, once started; -1 when bash could not be started. */
  readonly started: Promise<number>;
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
  /** Set when bash could not be started at all: why, in words. */
  startError: string | null;
}

export interface ShellOptions {
  script: string;
  cwd: string;
  /** Built by `ShellRunner.env()` (child-env.ts). */
  env: ChildEnv;
  logFile?: string;
  timeoutMs?: number;
  /**
   * Output as text. A returned promise means "I am behind": the child's
   * output is held back (its pipe fills and it blocks in write) until the
   * promise settles, so a slow consumer never makes anyone buffer it.
   */
  onOutput?: (data: string, stream: 'stdout' | 'stderr') => void | Promise<void>;
  /**
   * Called with the process group id and its leader's start time (null where
   * unknown, see spawner/process-start.ts) as soon as the script has started
   * (before `started` resolves); record both here for crash clean-up. If ojd
   * dies before this returns, the spawner process kills the group.
   */
  onStarted?: (pgid: number, start: number | null) => void;
}

const KILL_GRACE_MS = 3000;
/** How many times a run lost with a dead spawner process is started again. */
const LOST_RELAUNCHES = 1;

function appendNote(logFile: string, text: string): void {
  try {
    appendFileSync(logFile, `[oj] ${text}\n`);
  } catch {
    // the log is a convenience here
  }
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // already gone
  }
}

export class ShellRunner {
  /** Process groups started here that may still have members. */
  private readonly groups = new Set<number>();

  constructor(
    private readonly spawner: ProcessSpawner,
    private readonly environment: ChildEnvironment,
  ) {}

  /** The environment of a child of `spec.project` (see child-env.ts). */
  env(spec: ChildEnvSpec): ChildEnv {
    return this.environment.of(spec);
  }

  /** How many process groups started by this runner still have members. */
  liveGroups(): number {
    for (const g of this.groups) if (!groupAlive(g)) this.groups.delete(g);
    return this.groups.size;
  }

  /**
   * Daemon stop: TERM every process group still alive, KILL what is left after
   * the grace period; resolves once all are gone. Returns how many there were.
   */
  async stopAll(graceMs = KILL_GRACE_MS): Promise<number> {
    const alive = [...this.groups].filter(groupAlive);
    for (const g of alive) signalGroup(g, 'SIGTERM');
    const deadline = Date.now() + graceMs;
    while (Date.now() < deadline && alive.some(groupAlive)) await new Promise((r) => setTimeout(r, 25));
    for (const g of alive) if (groupAlive(g)) signalGroup(g, 'SIGKILL');
    const killDeadline = Date.now() + 1000;
    while (Date.now() < killDeadline && alive.some(groupAlive)) await new Promise((r) => setTimeout(r, 10));
    for (const g of alive) this.groups.delete(g);
    return alive.length;
  }

  /** Runs `o.script` with `bash -c` in a process group of its own. */
  run(o: ShellOptions): ShellRun {
    return runShell(this.spawner, this.groups, o);
  }
}

/** One run through `spawner`; its group is in `groups` while it may have members. */
function runShell(spawner: ProcessSpawner, groups: Set<number>, o: ShellOptions): ShellRun {
  let pid = -1;
  let exited = false;
  let stoppedBecause: string | null = null;
  let timedOut = false;
  let killTimer: NodeJS.Timeout | null = null;

  const killGroup = (signal: NodeJS.Signals) => {
    if (pid > 0) signalGroup(pid, signal);
  };
  const beginKill = () => {
    killGroup('SIGTERM');
    killTimer = setTimeout(() => killGroup('SIGKILL'), KILL_GRACE_MS);
    killTimer.unref();
  };
  const stop = (reason: string) => {
    if (stoppedBecause !== null || exited) return;
    stoppedBecause = reason;
    if (pid > 0) beginKill(); // else as soon as it has started
  };
  const timeout = o.timeoutMs
    ? setLongTimeout(
        () => {
          timedOut = true;
          stop(`timed out after ${o.timeoutMs} ms`);
        },
        o.timeoutMs,
        { unref: true },
      )
    : null;

  let resolveStarted!: (pid: number) => void;
  const started = new Promise<number>((res) => (resolveStarted = res));
  const done = new Promise<ShellOutcome>((resolve) => {
    const finish = (exitCode: number | null, signal: string | null, startError?: string) => {
      exited = true;
      timeout?.cancel();
      if (killTimer) clearTimeout(killTimer);
      if (pid > 0) {
        // The group may hold background children of the script: end them too (KILL if TERM is not
        // enough). Most groups are empty by now: asked first, which costs one failed kill, not two.
        const group = pid;
        if (groupAlive(group)) {
          signalGroup(group, 'SIGTERM');
          setTimeout(() => {
            if (groupAlive(group)) signalGroup(group, 'SIGKILL');
            groups.delete(group);
          }, KILL_GRACE_MS).unref();
        } else groups.delete(group);
      }
      resolve({ exitCode, signal, timedOut, stoppedBecause, startError: startError ?? null });
    };
    let relaunches = 0;
    let control: OutputControl | null = null;
    /** Consumer promises not yet settled: the output is held while any is. */
    let behind = 0;
    const output = (stream: 'stdout' | 'stderr', text: string) => {
      const wait = o.onOutput?.(text, stream);
      if (!wait) return;
      if (behind++ === 0) control?.hold('consumer');
      const caughtUp = () => {
        if (--behind === 0) control?.release('consumer');
      };
      wait.then(caughtUp, caughtUp);
    };
    const launch = () => {
      control = spawner.launch(
        { script: o.script, cwd: o.cwd, env: o.env.vars, logFile: o.logFile, pipeOutput: o.onOutput !== undefined },
        {
          started: (p, start) => {
            pid = p;
            if (p > 0) {
              groups.add(p);
              o.onStarted?.(p, start);
              if (stoppedBecause !== null) beginKill();
            }
            resolveStarted(p);
          },
          output,
          exited: finish,
          lost: (reason, again) => {
            // The spawner process died and took the run's group with it: run the
            // script again once, as a restarted daemon re-runs a phase (at least once).
            if (pid > 0) groups.delete(pid);
            if (again && stoppedBecause === null && relaunches < LOST_RELAUNCHES) {
              relaunches++;
              pid = -1;
              if (o.logFile) appendNote(o.logFile, `${reason} while this ran; running it again`);
              launch();
              return;
            }
            stoppedBecause ??= reason;
            finish(null, null);
          },
        },
      );
      if (behind > 0) control.hold('consumer');
    };
    launch();
  });
  return { started, done, stop };
}

/**
 * Ends a process group left behind by an earlier daemon (best effort), but
 * only while its leader is still the process that daemon started (`start`,
 * recorded with the pgid): since then the id may have gone to a stranger.
 * Returns whether it was signalled.
 */
export function killProcessGroup(pgid: number, start: number | null): boolean {
  if (!recordedGroupIsOurs(pgid, start)) return false;
  try {
    process.kill(-pgid, 'SIGKILL');
    return true;
  } catch {
    return false;
  }
}

