/**
 * End-to-end harness: a real ojd on a temp state dir and socket, driven by
 * the real oj binary and by raw JSON-RPC lines. Nothing here sleeps for a
 * fixed time: waits poll with a deadline.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa, type ResultPromise } from 'execa';

export const REPO = resolve(import.meta.dirname, '..', '..');
export const OJ_BIN = join(REPO, 'packages', 'cli', 'bin', 'oj.js');
export const OJD_BIN = join(REPO, 'packages', 'daemon', 'bin', 'ojd.js');

export interface OjResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  timeoutMs = 10_000,
  intervalMs = 20,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== null && v !== false) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export class TestEnv {
  readonly root: string;
  readonly stateDir: string;
  readonly socket: string;
  readonly env: NodeJS.ProcessEnv;
  private daemons: ChildProcess[] = [];

  constructor() {
    this.root = mkdtempSync(join(tmpdir(), 'oj-test-'));
    this.stateDir = join(this.root, 'state');
    this.socket = join(this.stateDir, 'ojd.sock');
    this.env = {
      ...process.env,
      OJ_STATE_DIR: this.stateDir,
      OJ_SOCKET: this.socket,
      NO_COLOR: '1',
      OJ_LOG_LEVEL: 'debug',
    };
  }

  /** Starts ojd in the foreground as a child of the test, waits until it answers (`timeoutMs`: how long at most). */
  async startDaemon(timeoutMs = 10_000): Promise<ChildProcess> {
    const child = spawn(process.execPath, [OJD_BIN, '--quiet'], { env: this.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    this.daemons.push(child);
    let exited = false;
    child.on('exit', () => (exited = true));
    await waitFor('ojd to answer', async () => {
      if (exited) throw new Error(`ojd exited: ${stderr}`);
      return await canConnect(this.socket);
    }, timeoutMs);
    return child;
  }

  /** Runs the real oj CLI. */
  async oj(args: string[], opts: { cwd?: string; input?: string; env?: NodeJS.ProcessEnv; timeout?: number } = {}): Promise<OjResult> {
    const r = await execa(process.execPath, [OJ_BIN, ...args], {
      env: { ...this.env, ...opts.env },
      cwd: opts.cwd ?? this.root,
      reject: false,
      stripFinalNewline: false,
      timeout: opts.timeout ?? 20_000,
      ...(opts.input !== undefined ? { input: opts.input } : {}),
    });
    return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
  }

  /** Starts oj without waiting (for --follow and the like). */
  ojSpawn(args: string[], opts: { cwd?: string } = {}): ResultPromise {
    return execa(process.execPath, [OJ_BIN, ...args], {
      env: this.env,
      cwd: opts.cwd ?? this.root,
      reject: false,
      buffer: true,
    });
  }

  async ojJson<T>(args: string[], opts: { cwd?: string } = {}): Promise<T> {
    const r = await this.oj([...args, '--json'], opts);
    if (r.exitCode !== 0) throw new Error(`oj ${args.join(' ')} failed (${r.exitCode}): ${r.stderr}`);
    return JSON.parse(r.stdout) as T;
  }

  async cleanup(): Promise<void> {
    await execa(process.execPath, [OJ_BIN, 'daemon', 'stop', '--kill'], { env: this.env, reject: false, timeout: 20_000 });
    for (const d of this.daemons) if (d.exitCode === null && d.signalCode === null) d.kill('SIGKILL');
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** Runs ojd with `env` to its exit (for a start it refuses): its exit code and stderr. */
export function ojdExit(env: NodeJS.ProcessEnv): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [OJD_BIN, '--quiet'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stderr })));
}

export function canConnect(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(path);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** A raw client: write lines, read JSON lines back. */
export class RawClient {
  private buffer = '';
  private readonly received: unknown[] = [];
  private closed = false;

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (d: Buffer) => {
      this.buffer += d.toString('utf8');
      let nl: number;
      while ((nl = this.buffer.indexOf('\n')) >= 0) {
        const line = this.buffer.slice(0, nl);
        this.buffer = this.buffer.slice(nl + 1);
        if (line.trim()) this.received.push(JSON.parse(line));
      }
    });
    socket.on('close', () => (this.closed = true));
    socket.on('error', () => (this.closed = true));
  }

  static connect(path: string): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect(path);
      s.once('connect', () => resolve(new RawClient(s)));
      s.once('error', reject);
    });
  }

  send(text: string): void {
    this.socket.write(text);
  }

  /** Waits until `n` messages have arrived in total; returns all of them. */
  async next(n: number, timeoutMs = 5000): Promise<unknown[]> {
    await waitFor(
      `${n} messages`,
      () => {
        if (this.received.length >= n) return true;
        if (this.closed) throw new Error(`connection closed after ${this.received.length} messages`);
        return false;
      },
      timeoutMs,
      5,
    );
    return this.received.slice(0, n);
  }

  get all(): unknown[] {
    return this.received;
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Creates a project (a directory with .oj/runbooks) under the test root. */
export function makeProject(t: TestEnv, name: string, runbooks: Record<string, string>, opts: { git?: boolean } = {}): string {
  const root = join(t.root, name);
  mkdirSync(join(root, '.oj', 'runbooks'), { recursive: true });
  for (const [file, text] of Object.entries(runbooks)) writeFileSync(join(root, '.oj', 'runbooks', `${file}.toml`), text);
  if (opts.git) {
    const git = (...args: string[]) => execFileSync('git', args, { cwd: root, stdio: 'ignore' });
    git('init', '-q', '-b', 'main');
    git('config', 'user.email', 'test@example.com');
    git('config', 'user.name', 'oj test');
    writeFileSync(join(root, 'README'), 'scratch\n');
    git('add', '-A');
    git('commit', '-qm', 'init');
  }
  return root;
}
