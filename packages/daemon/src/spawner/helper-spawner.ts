/**
 * A spawner that is a process of its own, started by ojd: the native helper
 * (native/oj-spawn.c, binary frames: native-frames.ts) or the Node spawner
 * process (spawner-process.ts, JSON lines: spawner-messages.ts). They differ
 * only in how a request and an event are written (a `SpawnerDialect`); what
 * happens around them is here, once.
 *
 * The helper is started on first use and again after it dies. If it dies
 * with runs in flight, their process groups are killed (nothing keeps
 * running unwatched) and each run is reported lost, with the reason; the
 * shell runner (adapters/shell-runner.ts) then starts it once more.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { startError, type LaunchRequest, type OutputControl } from './launch.js';
import { FrameReader, encodeRequest, unsendable, type NativeEvent } from './native-frames.js';
import { recordedGroupIsOurs } from './process-start.js';
import { NATIVE_SPAWNER, SPAWNER_ENTRY, type ProcessSpawner, type RunEvents, type SpawnerKind } from './process-spawner.js';
import { decodeEvent, encodeLine, type SpawnerRequest } from './spawner-messages.js';
import { faultPoint } from '../fault-point.js';
import { Valve } from './valve.js';

export interface SpawnerDialect {
  readonly kind: Exclude<SpawnerKind, 'inline'>;
  /** The helper's executable and its arguments. */
  readonly file: string;
  readonly args: string[];
  encode(q: SpawnerRequest): string | Buffer;
  /** A reader of the helper's stdout, calling `onEvent` for each event and `onBad` with what it could not read. */
  reader(onEvent: (e: NativeEvent) => void, onBad: (what: string) => void): (chunk: Buffer) => void;
  /** Why a run cannot be sent at all (it then fails without starting), or null. */
  unsendable(r: LaunchRequest): string | null;
}

export type ProblemReporter = (message: string, detail: Record<string, unknown>) => void;

interface InFlight {
  r: LaunchRequest;
  ev: RunEvents;
  pid: number | null;
  /** The leader's start time, to tell the group from a stranger's that reused its id. */
  start: number | null;
}

export class HelperSpawner implements ProcessSpawner {
  private child: ChildProcess | null = null;
  private readonly runs = new Map<number, InFlight>();
  private nextId = 1;
  private closing: Promise<void> | null = null;

  constructor(
    private readonly dialect: SpawnerDialect,
    private readonly onProblem: ProblemReporter = () => {},
    /** Each helper process started (the daemon records it: previous-spawner.ts). */
    private readonly onSpawnerStarted: (pid: number) => void = () => {},
  ) {}

  get kind(): SpawnerKind {
    return this.dialect.kind;
  }

  /**
   * Flow control is per run: a consumer that is behind holds its run, and the
   * helper stops reading that child's pipes (the child blocks), while other
   * runs' output keeps flowing; pausing our read of the helper's stdout
   * instead would stall every run behind the slowest consumer. When ojd as a
   * whole falls behind, the helper's stdout pipe fills and the helper holds
   * every child itself.
   */
  launch(r: LaunchRequest, ev: RunEvents): OutputControl {
    const refused = this.dialect.unsendable(r);
    if (refused) {
      noteInLog(r, refused);
      ev.started(-1, null);
      ev.exited(null, null, refused);
      return new Valve(() => {});
    }
    const child = this.ensure();
    const id = this.nextId++;
    this.runs.set(id, { r, ev, pid: null, start: null });
    if (this.runs.size === 1) this.ref(child, true);
    child.stdin?.write(this.dialect.encode({ t: 'run', id, r }));
    return new Valve((open) => {
      if (this.child === child && this.runs.has(id)) child.stdin?.write(this.dialect.encode({ t: open ? 'release' : 'hold', id }));
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
    const child = spawn(this.dialect.file, this.dialect.args, {
      stdio: ['pipe', 'pipe', 'inherit'],
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...(process.env.OJ_FAULT ? { OJ_FAULT: process.env.OJ_FAULT } : {}) },
    });
    this.child = child;
    child.stdin?.on('error', () => {}); // a dead helper shows as 'exit'
    const read = this.dialect.reader(
      (e) => this.receive(e),
      (what) => this.onProblem(`unreadable message from the ${this.kind} process spawner`, { message: what }),
    );
    child.stdout?.on('data', read);
    child.once('exit', (code, signal) => this.died(child, code, signal));
    child.once('error', (err) => {
      this.onProblem(`the ${this.kind} process spawner could not start`, { error: err.message });
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

  private receive(e: NativeEvent): void {
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
        if (e.pid > 0) this.child?.stdin?.write(this.dialect.encode({ t: 'recorded', id: e.id }));
      }
    } else if (e.t === 'out') run.ev.output(e.s, e.d);
    else {
      this.runs.delete(e.id);
      if (this.runs.size === 0 && this.child) this.ref(this.child, false);
      if ('errno' in e) {
        // Starting bash failed: in the Node spawner's words (E2BIG, a missing cwd...); else the helper's.
        const why = e.startingBash ? startError(run.r, Object.assign(new Error(e.error), { code: e.errno })) : `the command could not be started: ${e.error}`;
        noteInLog(run.r, why);
        run.ev.exited(null, null, why);
      } else run.ev.exited(e.code, e.signal, e.error);
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

function noteInLog(r: LaunchRequest, text: string): void {
  if (!r.logFile) return;
  try {
    appendFileSync(r.logFile, `[oj] ${text}\n`);
  } catch {
    // the log is a convenience here
  }
}

/** The Node spawner process (spawner-process.ts): one JSON text per line each way. */
export function nodeDialect(entry: string): SpawnerDialect {
  return {
    kind: 'node',
    file: process.execPath,
    args: [entry],
    encode: encodeLine,
    reader(onEvent, onBad) {
      const text = new StringDecoder('utf8');
      let rest = '';
      return (chunk) => {
        const lines = (rest + text.write(chunk)).split('\n');
        rest = lines.pop() ?? '';
        for (const line of lines) {
          const e = decodeEvent(line);
          if (e) onEvent(e);
          else onBad(line.slice(0, 200));
        }
      };
    },
    unsendable: () => null, // JSON carries anything; Node's spawn refuses what it must
  };
}

/** The native helper (native/oj-spawn.c): binary frames (native-frames.ts). */
export function nativeDialect(file: string): SpawnerDialect {
  return {
    kind: 'native',
    file,
    args: [],
    encode: encodeRequest,
    reader(onEvent, onBad) {
      const frames = new FrameReader(onEvent, onBad);
      return (chunk) => frames.push(chunk);
    },
    unsendable,
  };
}

/** The Node spawner process (spawner-process.ts). */
export class ChildSpawner extends HelperSpawner {
  constructor(onProblem?: ProblemReporter, entry: string = SPAWNER_ENTRY, onSpawnerStarted?: (pid: number) => void) {
    super(nodeDialect(entry), onProblem, onSpawnerStarted);
  }
}

/** The native helper (native/oj-spawn.c, built to build/oj-spawn). */
export class NativeSpawner extends HelperSpawner {
  constructor(onProblem?: ProblemReporter, file: string = NATIVE_SPAWNER, onSpawnerStarted?: (pid: number) => void) {
    super(nativeDialect(file), onProblem, onSpawnerStarted);
  }
}
