/**
 * The default holder of `oj lock` / `oj semaphore` from a script: the process
 * that ran `oj` (a shell, or whatever runs commands), named by its pid and
 * its start time, so it is unique to that process tree: two shells of one
 * user are two holders; one script that acquires and later releases is one,
 * and a pid reused after that process ended is another. Launchers that put a
 * process of their own between the caller and `oj` (npx / npm exec, and
 * `timeout`) are looked through, and so are subshells: a process with the
 * command line of its parent is a fork of it (`( ... )`, `... &`, `$( ... )`),
 * so a script's background heartbeat loop is the script.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';

export interface ProcInfo {
  pid: number;
  ppid: number;
  comm: string;
  /** Start time, in a unit of the platform (clock ticks since boot on Linux, seconds since the epoch elsewhere). */
  start: string;
  /** Its arguments, NUL-separated on Linux, space-separated elsewhere (only compared with its parent's). */
  cmdline: string;
}

/** Parses /proc/<pid>/stat: "pid (comm) state ppid ... starttime(22nd field) ...". */
export function parseProcStat(text: string, cmdline = ''): ProcInfo | null {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return null;
  const rest = text.slice(close + 2).split(' ');
  const pid = Number(text.slice(0, open).trim());
  const ppid = Number(rest[1]);
  const start = rest[19];
  if (!Number.isInteger(pid) || !Number.isInteger(ppid) || !start || !/^\d+$/.test(start)) return null;
  return { pid, ppid, comm: text.slice(open + 1, close), start, cmdline };
}

/** Parses `ps -o ppid= -o lstart= -o comm= -p PID` ("123 Mon Jan  5 10:00:00 2026 /bin/zsh"). */
export function parsePs(pid: number, text: string, cmdline = ''): ProcInfo | null {
  const m = /^\s*(\d+)\s+(\w{3}\s+\w{3}\s+\d+\s+[\d:]+\s+\d{4})\s+(.+?)\s*$/.exec(text);
  if (!m) return null;
  const started = Date.parse(m[2]!.replace(/\s+/g, ' '));
  if (Number.isNaN(started)) return null;
  return { pid, ppid: Number(m[1]), comm: m[3]!.split('/').pop()!, start: String(Math.floor(started / 1000)), cmdline };
}

export function procInfo(pid: number): ProcInfo | null {
  if (!Number.isInteger(pid) || pid <= 0) return null;
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'), readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
  } catch {
    // Not Linux (or no /proc): ask ps.
  }
  const ps = (...fields: string[]) =>
    execFileSync('ps', [...fields.flatMap((f) => ['-o', f]), '-p', String(pid)], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      env: { ...process.env, LC_ALL: 'C' },
    });
  try {
    return parsePs(pid, ps('ppid=', 'lstart=', 'comm='), ps('args=').trim());
  } catch {
    return null;
  }
}

/** Launchers that run oj as a child of their own (npx and `npm exec` through a `sh -c` of theirs). */
const LAUNCHER = /^(npm exec|npx|timeout)(\s|$)/;
const SHELL = /^(sh|bash|dash)$/;

/** The process that ran oj: its parent, looking through a launcher between the two. */
export function callerProcess(ppid: number, info: (pid: number) => ProcInfo | null = procInfo): ProcInfo | null {
  let caller = info(ppid);
  for (let depth = 0; caller && depth < 4; depth++) {
    const parent = info(caller.ppid);
    if (LAUNCHER.test(caller.comm) && parent) caller = parent;
    else if (SHELL.test(caller.comm) && parent && LAUNCHER.test(parent.comm)) caller = parent;
    else break;
  }
  // A subshell is a fork: the same command line as its parent.
  for (let depth = 0; caller && depth < 16; depth++) {
    const parent = info(caller.ppid);
    if (!parent || parent.pid <= 1 || parent.cmdline !== caller.cmdline || parent.comm !== caller.comm || !caller.cmdline) break;
    caller = parent;
  }
  return caller;
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'user';
  }
}

const who = () => `${safeUser()}@${hostname()}`;

/** `user@host:PID.START` of the calling process, or `user@host:PID` when its start time cannot be read. */
export function defaultHolder(): string {
  const caller = callerProcess(process.ppid);
  return caller ? `${who()}:${caller.pid}.${caller.start}` : `${who()}:${process.ppid}`;
}

/**
 * This process's own name as a holder. A shell runs the last command of
 * `sh -c '...'` (cron, ssh, make, npm scripts) by exec, so that `oj` is the
 * shell that earlier commands named as their caller: same pid, same start.
 * A hold under this name is therefore this process's own.
 */
export function selfHolder(): string | null {
  const self = procInfo(process.pid);
  return self ? `${who()}:${self.pid}.${self.start}` : null;
}
