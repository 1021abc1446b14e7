/**
 * How ojd starts shell children: through its spawner process (the default;
 * see spawner-process.ts for why), or in its own process with
 * OJ_SPAWNER=inline. Both take the same request and give the same events.
 *
 * The spawner process is started on first use and again after it dies. If it
 * dies with runs in flight, their process groups are killed (nothing keeps
 * running unwatched) and each run is reported lost, with the reason; the
 * shell runner (adapters/shell-runner.ts) then starts it once more. The
 * daemon makes one spawner and hands it to its shell runner.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { launch, type LaunchEvents, type LaunchRequest, type OutputControl } from './launch.js';
import { recordedGroupIsOurs } from './process-start.js';
import { decodeEvent, encodeLine } from './spawner-messages.js';
import { faultPoint } from '../fault-point.js';
import { Valve } from './valve.js';

/** `started` is where the caller records the process group: the spawner keeps the group its own until it returns. */
export interface RunEvents extends LaunchEvents {
  /**
   * The run was lost with the spawner process: its group was killed.
   * `again`: whether starting it again makes sense (not while ojd closes the spawner).
   */
  lost(reason: string, again: boolean): void;
}

export interface ProcessSpawner {
  /** Starts a run; the control holds its output back while its consumer is behind (see valve.ts). */
  launch(r: LaunchRequest, ev: RunEvents): OutputControl;
  /** Starts the spawner process ahead of the first run. */
  warm(): void;
  /** Stops the spawner process; runs still in flight are killed and reported lost (not to be started again). */
  close(): Promise<void>;
  /** The spawner process's pid while it runs (null inline or not started). */
  pid(): number | null;
}

/** The spawner process's script: the compiled file beside this one (absent when this runs from TypeScript sources). */
export const SPAWNER_ENTRY = fileURLToPath(new URL('./spawner-process.js', import.meta.url));

export class InlineSpawner implements ProcessSpawner {
  launch(r: LaunchRequest, ev: RunEvents): OutputControl {
    return launch(r, ev);
  }
  warm(): void {}
  async close(): Promise<void> {}
  pid(): number | null {
    return null;
  }
}

interface InFlight {
  ev: RunEvents;
  pid: number | null;
  /** The leader's start time, to tell the group from a stranger's that reused its id. */
  start: number | null;
}

export class ChildSpawner implements ProcessSpawner {
  private child: ChildProcess | null = null;
  private readonly runs = new Map<number, InFlight>();
  private nextId = 1;
  private closing: Promise<void> | null = null;

  constructor(
    private readonly onProblem: ProblemReporter = () => {},
    private readonly entry: string = SPAWNER_ENTRY,
    /** Each spawner process started (the daemon records it: previous-spawner.ts). */
    private readonly onSpawnerStarted: (pid: number) => void = () => {},
  ) {}

  /**
   * Flow control is per run: a consumer that is behind holds its run, and the
   * spawner stops reading that child's pipes (the child blocks), while other
   * runs' output keeps flowing; pausing our read of the spawner's stdout
   * instead would stall every run behind the slowest consumer. When ojd as a
   * whole falls behind, the spawner's stdout pipe fills and the spawner holds
   * every child itself (spawner-process.ts).
   */
  launch(r: LaunchRequest, ev: RunEvents): OutputControl {
    const child = this.ensure();
    const id = this.nextId++;
    this.runs.set(id, { ev, pid: null, start: null });
    if (this.runs.size === 1) this.ref(child, true);
    child.stdin?.write(encodeLine({ t: 'run', id, r }));
    return new Valve((open) => {
      if (this.child === child && this.runs.has(id)) child.stdin?.write(encodeLine({ t: open ? 'release' : 'hold', id }));
    });
  }

  pid(): number | null {
    return this.child?.pid ?? null;
  }

  warm(): void {
    this.ensure();
  }

  close(): Promise<void> {
    const child = this.child;
    if (!child) return Promise.resolve();
    if (this.closing) return this.closing;
    this.closing = new Promise<void>((resolve) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      child.stdin?.end();
    });
    return this.closing;
  }

  private ensure(): ChildProcess {
    if (this.child) return this.child;
    this.closing = null;
    const child = spawn(process.execPath, [this.entry], {
      stdio: ['pipe', 'pipe', 'inherit'],
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...(process.env.OJ_FAULT ? { OJ_FAULT: process.env.OJ_FAULT } : {}) },
    });
    this.child = child;
    child.stdin?.on('error', () => {}); // a dead spawner shows as 'exit'
    createInterface({ input: child.stdout!, crlfDelay: Infinity }).on('line', (line) => this.receive(line));
    child.once('exit', (code, signal) => this.died(child, code, signal));
    child.once('error', (err) => {
      this.onProblem('the process spawner could not start', { error: err.message });
      this.died(child, null, null); // 'exit' may never come
    });
    this.ref(child, false);
    if (child.pid !== undefined) {
      try {
        this.onSpawnerStarted(child.pid);
      } catch (err) {
        this.onProblem('could not record the process spawner', { error: (err as Error).message });
      }
    }
    return child;
  }

  /** Keeps the event loop alive only while runs are in flight. */
  private ref(child: ChildProcess, on: boolean): void {
    // The stdio streams of a child are pipes (net.Socket), which can be unref'd.
    const handles = [child, child.stdin, child.stdout] as unknown as ({ ref?(): void; unref?(): void } | null)[];
    for (const h of handles) {
      if (!h) continue;
      if (on) h.ref?.();
      else h.unref?.();
    }
  }

  private receive(line: string): void {
    const e = decodeEvent(line);
    if (!e) {
      this.onProblem('unreadable line from the process spawner', { line: line.slice(0, 200) });
      return;
    }
    const run = this.runs.get(e.id);
    if (!run) return;
    if (e.t === 'started') {
      // Crash suite: ojd dies with a child started that it has not recorded (only the spawner knows it).
      if (e.pid > 0) faultPoint('spawned:unrecorded');
      run.pid = e.pid;
      run.start = e.start;
      try {
        run.ev.started(e.pid, e.start);
      } finally {
        if (e.pid > 0) this.child?.stdin?.write(encodeLine({ t: 'recorded', id: e.id }));
      }
    } else if (e.t === 'out') run.ev.output(e.s, e.d);
    else {
      this.runs.delete(e.id);
      if (this.runs.size === 0 && this.child) this.ref(this.child, false);
      run.ev.exited(e.code, e.signal, e.error);
    }
  }

  private died(child: ChildProcess, code: number | null, signal: string | null): void {
    if (this.child !== child) return; // already handled (both 'error' and 'exit' came)
    this.child = null;
    if (this.runs.size === 0 && this.closing) return;
    const closing = this.closing !== null;
    const reason = closing ? 'ojd stopped its process spawner' : `oj's process spawner exited (${signal ?? `code ${code}`})`;
    if (this.runs.size > 0) this.onProblem('the process spawner exited with runs in flight', { runs: this.runs.size, code, signal });
    const lost = [...this.runs.values()];
    this.runs.clear();
    for (const run of lost) {
      if (run.pid === null) run.ev.started(-1, null);
      else killGroup(run.pid, run.start);
      run.ev.lost(reason, !closing);
    }
  }
}

/** Kills a group of a run the dead spawner started, unless its leader is gone and its id now someone else's. */
function killGroup(pgid: number, start: number | null): void {
  if (!recordedGroupIsOurs(pgid, start)) return;
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // already gone
  }
}

type ProblemReporter = (message: string, detail: Record<string, unknown>) => void;

/**
 * A spawner as OJ_SPAWNER says: `inline` starts children in this process,
 * anything else through the spawner process. Code run from its TypeScript
 * sources (unit tests) has no compiled spawner script and runs inline.
 */
export function createProcessSpawner(onProblem?: ProblemReporter, onSpawnerStarted?: (pid: number) => void): ProcessSpawner {
  if (process.env.OJ_SPAWNER === 'inline' || !existsSync(SPAWNER_ENTRY)) return new InlineSpawner();
  return new ChildSpawner(onProblem, SPAWNER_ENTRY, onSpawnerStarted);
}
