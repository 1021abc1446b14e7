/**
 * Child processes for the bench: timing a command to its exit, starting and
 * stopping a private ojd, and reading a process's CPU time and RSS from
 * /proc. Every process started here is tracked and ended on exit, by pid.
 */
import { execFileSync, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { canConnect, waitFor } from './rpc-client.mjs';
import { msSince, now } from './stats.mjs';

export const REPO = resolve(import.meta.dirname, '..', '..', '..');
export const OJ_BIN = join(REPO, 'packages', 'cli', 'bin', 'oj.js');
export const OJD_BIN = join(REPO, 'packages', 'daemon', 'bin', 'ojd.js');

const started = new Set();
process.on('exit', () => {
  for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

/** The environment of a bench child: the caller's, minus any OJ_* of the user's own daemon, plus ours. */
export function benchEnv(extra = {}) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('OJ_') && v !== undefined) env[k] = v;
  return { ...env, NO_COLOR: '1', ...extra };
}

/** Runs a command to its exit; resolves with the wall time in ms. Output is read (as a pipe would be) and dropped. */
export function timeRun(cmd, args, { env = benchEnv(), cwd = REPO, expectCode = 0 } = {}) {
  return new Promise((resolvePromise, reject) => {
    const t0 = now();
    const child = spawn(cmd, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let bytes = 0;
    child.stdout.on('data', (d) => (bytes += d.length));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = msSince(t0);
      if (expectCode !== null && code !== expectCode) {
        reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${stderr.slice(0, 500)}`));
      } else resolvePromise({ ms, bytes });
    });
  });
}

/** Starts a long-running helper (the echo server, ...) and waits for its socket. */
export async function startHelper(args, socket, env = benchEnv()) {
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'ignore', 'inherit'] });
  started.add(child);
  await waitFor(`helper ${args[0]}`, () => canConnect(socket), 10_000, 5);
  return { pid: child.pid, stop: () => stopChild(child) };
}

/** A private ojd on `stateDir`/`socket`; `env` adds to its environment (a cluster's OJ_DATABASE_URL, OJ_HOST_ID). */
export class BenchDaemon {
  constructor(stateDir, socket, { nodeArgs = [], env = {} } = {}) {
    this.nodeArgs = nodeArgs;
    this.stateDir = stateDir;
    this.socket = socket;
    this.env = benchEnv({ OJ_STATE_DIR: stateDir, OJ_SOCKET: socket, ...env });
    this.child = null;
  }

  /** Starts ojd; resolves with the ms from spawn until its socket accepts a connection. */
  async start() {
    const t0 = now();
    const child = spawn(process.execPath, [...this.nodeArgs, OJD_BIN, '--quiet'], { env: this.env, stdio: ['ignore', 'ignore', 'pipe'] });
    started.add(child);
    this.child = child;
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    await waitFor(
      'ojd to answer',
      async () => {
        if (child.exitCode !== null) throw new Error(`ojd exited ${child.exitCode}: ${stderr}`);
        return canConnect(this.socket);
      },
      60_000,
      2,
    );
    return msSince(t0);
  }

  get pid() {
    return this.child?.pid;
  }

  async stop() {
    if (this.child) await stopChild(this.child);
    this.child = null;
  }
}

function stopChild(child) {
  return new Promise((resolvePromise) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolvePromise();
    const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(kill);
      started.delete(child);
      resolvePromise();
    });
    child.kill('SIGTERM');
  });
}

let clockTicks = null;
function ticksPerSecond() {
  if (clockTicks === null) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** CPU seconds of a process (its own, and of its waited-for children), from /proc/<pid>/stat. */
export function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state): utime = 14, stime = 15, cutime = 16, cstime = 17.
  const t = ticksPerSecond();
  return {
    self: (Number(fields[11]) + Number(fields[12])) / t,
    children: (Number(fields[13]) + Number(fields[14])) / t,
  };
}

/** Resident set size in MB, from /proc/<pid>/status. */
export function rssMb(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** Proportional set size in MB (shared pages divided among the processes sharing them), from /proc/<pid>/smaps_rollup. */
export function pssMb(pid) {
  const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** The pid of ojd's spawner process (its child running build/oj-spawn or spawner-process.js), or null. */
export function spawnerPidOf(daemonPid) {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== daemonPid) continue;
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      // The native helper (build/oj-spawn) or the Node spawner process.
      if (cmd.includes('oj-spawn') || cmd.includes('spawner-process.js')) return Number(entry);
    } catch {
      // gone meanwhile
    }
  }
  return null;
}

/** The pids of the processes whose parent is `pid`, with their command lines. */
function childrenOf(pid) {
  const out = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) !== pid) continue;
      out.push({ pid: Number(entry), cmdline: readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ').trim() });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/**
 * The helper processes ojd keeps (its spawner, whatever it is built from):
 * its children that are there in two looks `ms` apart, so a child its cron
 * started and that ended meanwhile is not one.
 */
export async function helperProcessesOf(daemonPid, ms = 1500) {
  const first = childrenOf(daemonPid);
  await new Promise((r) => setTimeout(r, ms));
  const still = new Set(childrenOf(daemonPid).map((c) => c.pid));
  return first.filter((c) => still.has(c.pid));
}

