/**
 * Starts one `bash -c` script in its own process group and reports what
 * happens to it: its pid, its output (when asked for), its end. The same code
 * runs inside the spawner process (spawner-process.ts) and, with
 * OJ_SPAWNER=inline, inside ojd itself. Node builtins only: the spawner
 * process loads this file and nothing of the daemon.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, closeSync, createWriteStream, mkdirSync, openSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { processStartTime } from './process-start.js';
import { Valve } from './valve.js';

export interface LaunchRequest {
  script: string;
  cwd: string;
  env: Record<string, string>;
  /** Output is appended here (bytes as written). */
  logFile?: string | undefined;
  /** Also hand the output back as text (`output` events). */
  pipeOutput: boolean;
}

export type OutputStream = 'stdout' | 'stderr';

export interface LaunchEvents {
  /**
   * The pid, which is also the process group id; -1 when bash could not be
   * started. `start`: the leader's start time (process-start.ts), read before
   * the child can have been reaped, so that whoever signals the group later
   * can tell it from a stranger that got the same id; null where unknown.
   */
  started(pid: number, start: number | null): void;
  output(stream: OutputStream, text: string): void;
  /**
   * After all output was handed over and the log file is complete. `error`
   * says why bash could not be started at all (then code and signal are null).
   */
  exited(code: number | null, signal: string | null, error?: string): void;
}

/**
 * Holds the run's output back (see valve.ts): while any reason holds it, its
 * pipes are not read and the child blocks on a full pipe. A run without
 * pipes (output straight to its log file) has nothing to hold.
 */
export interface OutputControl {
  hold(reason: string): void;
  release(reason: string): void;
}

export function launch(r: LaunchRequest, ev: LaunchEvents): OutputControl {
  // Without an output listener the output goes straight to the log file: no pipes.
  let log: WriteStream | null = null;
  let logFd: number | null = null;
  let child: ChildProcess;
  try {
    if (r.logFile) {
      mkdirSync(dirname(r.logFile), { recursive: true });
      if (r.pipeOutput) log = createWriteStream(r.logFile, { flags: 'a' });
      else logFd = openSync(r.logFile, 'a');
    }
    const out = r.pipeOutput ? 'pipe' : (logFd ?? 'ignore');
    child = spawn('bash', ['-c', r.script], {
      cwd: r.cwd,
      env: r.env,
      detached: true,
      // stdin is /dev/null. (Not a pipe: Node's pipes are sockets, and bash
      // takes a socket on stdin for an ssh login and reads ~/.bashrc.)
      stdio: ['ignore', out, out],
    });
  } catch (err) {
    // Arguments Node refuses (a NUL byte in the script...), a log that cannot
    // be opened: a failed run, as a missing cwd is.
    const why = startError(r, err);
    noteInLog(r, log, why);
    log?.end();
    ev.started(-1, null);
    ev.exited(null, null, why);
    return new Valve(() => {});
  } finally {
    if (logFd !== null) closeSync(logFd);
  }
  // Synchronously after spawn: the child cannot have been reaped yet, so its /proc entry is there.
  const pid = child.pid ?? -1;
  ev.started(pid, pid > 0 ? processStartTime(pid) : null);
  const valve = new Valve((open) => {
    for (const s of [child.stdout, child.stderr]) {
      if (open) s?.resume();
      else s?.pause();
    }
  });
  let logFull = false;
  const tap = (stream: OutputStream) => {
    const decoder = new StringDecoder('utf8');
    return (chunk: Buffer) => {
      // A disk slower than the child: stop reading until the log has written what it holds.
      if (log && !log.write(chunk) && !logFull) {
        logFull = true;
        valve.hold('log');
        log.once('drain', () => {
          logFull = false;
          valve.release('log');
        });
      }
      const text = decoder.write(chunk);
      if (text) ev.output(stream, text);
    };
  };
  child.stdout?.on('data', tap('stdout'));
  child.stderr?.on('data', tap('stderr'));
  // 'close' comes once the process has exited and its output pipes are
  // drained; 'error' instead of it when bash could not be started (a missing cwd).
  let ended = false;
  const end = (code: number | null, signal: string | null) => {
    if (ended) return;
    ended = true;
    if (log) log.end(() => ev.exited(code, signal));
    else ev.exited(code, signal);
  };
  child.once('close', (code, signal) => end(code, signal));
  child.once('error', (err) => {
    const why = startError(r, err);
    noteInLog(r, log, why);
    if (ended) return;
    ended = true;
    if (log) log.end(() => ev.exited(null, null, why));
    else ev.exited(null, null, why);
  });
  return valve;
}

function noteInLog(r: LaunchRequest, log: WriteStream | null, text: string): void {
  if (!r.logFile) return;
  try {
    if (log && !log.writableEnded) log.write(`[oj] ${text}\n`);
    else appendFileSync(r.logFile, `[oj] ${text}\n`);
  } catch {
    // the log is a convenience here
  }
}

/** Why bash could not be started, in words (E2BIG: the script is over the kernel's limit for one argument); `err` has the errno code's name in `code`. */
export function startError(r: LaunchRequest, err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  const bytes = Buffer.byteLength(r.script);
  if (code === 'E2BIG') {
    const env = Object.entries(r.env).reduce((n, [k, v]) => n + k.length + v.length + 2, 0);
    return `the command could not be started: it is ${bytes} bytes (with ${env} bytes of environment), and one argument can be at most 128 KiB (E2BIG); pass a big value through a file or stdin instead of the command line`;
  }
  if (code === 'ENOENT') return `the command could not be started: bash or the working directory ${r.cwd} does not exist`;
  return `the command could not be started: ${(err as Error).message ?? String(err)}`;
}
