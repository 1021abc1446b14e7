/**
 * The pty side of a session host: runs the command in a node-pty, appends
 * what it prints to transcript.log, keeps the screen in a ScreenBuffer and
 * records how the command ended (exit.json before anyone is told).
 *
 * It knows nothing about sockets; SessionHostServer exposes it over RPC.
 */
import { closeSync, openSync, statSync, writeSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import pty from 'node-pty';
import type { IPty } from 'node-pty';
import { OjError, type SessionHostMethods } from '@oj/protocol';
import { resolveExecutable } from './command-resolution.js';
import { ScreenBuffer } from './screen-buffer.js';
import { writeExitRecord, type ExitRecord, type SessionPaths } from './session-files.js';

type SessionSpec = SessionHostMethods.SessionSpec;
type HostInfo = SessionHostMethods.HostInfo;
type SignalName = SessionHostMethods.SignalName;

/** A problem that stops the host before the command runs (bad spec, missing cwd or command). */
export class HostStartError extends Error {
  override readonly name = 'HostStartError';
}

export interface SessionHostOptions {
  now?: () => number;
}

export class SessionHost {
  private readonly pty: IPty;
  private readonly screen: ScreenBuffer;
  private readonly transcriptFd: number;
  private readonly now: () => number;
  private readonly startedAt: number;
  private readonly outputListeners = new Set<(data: string) => void>();
  private readonly exitListeners = new Set<(record: ExitRecord) => void>();
  private transcriptBytes = 0;
  private lastOutputAt: number | undefined;
  private exitRecord: ExitRecord | undefined;

  private constructor(
    readonly spec: SessionSpec,
    readonly paths: SessionPaths,
    options: SessionHostOptions,
  ) {
    this.now = options.now ?? Date.now;
    const file = this.checkStart();
    this.screen = new ScreenBuffer({ cols: spec.cols, rows: spec.rows, scrollback: spec.scrollback });
    this.transcriptFd = openSync(paths.transcript, 'a', 0o600);
    this.transcriptBytes = statSync(paths.transcript).size;
    this.startedAt = this.now();
    this.pty = pty.spawn(file, spec.command.slice(1), {
      name: spec.env.TERM ?? 'xterm-256color',
      cols: spec.cols,
      rows: spec.rows,
      cwd: spec.cwd,
      env: spec.env,
    });
    this.pty.onData((data) => this.onData(data));
    this.pty.onExit(({ exitCode, signal }) => this.onChildExit(exitCode, signal));
    // The host is the program's terminal: answer its queries (cursor position, device attributes).
    this.screen.onReply((reply) => {
      if (this.alive) this.pty.write(reply);
    });
  }

  /** Spawns the command; throws HostStartError when it cannot run. */
  static start(spec: SessionSpec, paths: SessionPaths, options: SessionHostOptions = {}): SessionHost {
    return new SessionHost(spec, paths, options);
  }

  get alive(): boolean {
    return this.exitRecord === undefined;
  }

  get exit(): ExitRecord | undefined {
    return this.exitRecord;
  }

  get childPid(): number {
    return this.pty.pid;
  }

  get transcriptSize(): number {
    return this.transcriptBytes;
  }

  info(): HostInfo {
    return {
      id: this.spec.id,
      hostPid: process.pid,
      childPid: this.pty.pid,
      alive: this.alive,
      exitCode: this.exitRecord?.exitCode ?? null,
      signal: this.exitRecord?.signal ?? null,
      startedAt: new Date(this.startedAt).toISOString(),
      lastOutputAt: this.lastOutputAt === undefined ? null : new Date(this.lastOutputAt).toISOString(),
      exitedAt: this.exitRecord?.at ?? null,
      cols: this.screen.cols,
      rows: this.screen.rows,
      transcriptBytes: this.transcriptBytes,
    };
  }

  write(data: string): number {
    if (!this.alive) throw OjError.illegalState(`session ${this.spec.id} has exited`, { id: this.spec.id });
    this.pty.write(data);
    return Buffer.byteLength(data);
  }

  resize(cols: number, rows: number): void {
    if (this.alive) this.pty.resize(cols, rows);
    this.screen.resize(cols, rows);
  }

  capture(lines?: number): Promise<string> {
    return this.screen.capture(lines);
  }

  snapshot(): Promise<{ text: string; cursor: { x: number; y: number } }> {
    return this.screen.snapshot();
  }

  /**
   * Signals the command's process group (the pty made the command a session
   * and group leader), so helpers it started go too. False when it had
   * already exited.
   */
  kill(signal: SignalName = 'SIGTERM'): boolean {
    if (!this.alive || this.pty.pid <= 1) return false;
    try {
      process.kill(-this.pty.pid, signal);
    } catch {
      try {
        process.kill(this.pty.pid, signal);
      } catch {
        return false;
      }
    }
    return true;
  }

  onOutput(listener: (data: string) => void): () => void {
    this.outputListeners.add(listener);
    return () => this.outputListeners.delete(listener);
  }

  onExit(listener: (record: ExitRecord) => void): () => void {
    this.exitListeners.add(listener);
    return () => this.exitListeners.delete(listener);
  }

  /** Resolves with the exit record once the command has exited. */
  exited(): Promise<ExitRecord> {
    const record = this.exitRecord;
    if (record) return Promise.resolve(record);
    return new Promise((resolve) => {
      const off = this.onExit((r) => {
        off();
        resolve(r);
      });
    });
  }

  dispose(): void {
    this.screen.dispose();
    try {
      closeSync(this.transcriptFd);
    } catch {
      /* already closed */
    }
  }

  private checkStart(): string {
    const { cwd, command, env } = this.spec;
    let isDir = false;
    try {
      isDir = statSync(cwd).isDirectory();
    } catch {
      isDir = false;
    }
    if (!isDir) throw new HostStartError(`cwd is not a directory: ${cwd}`);
    try {
      return resolveExecutable(command[0] ?? '', cwd, env.PATH);
    } catch (error) {
      throw new HostStartError((error as Error).message);
    }
  }

  private onData(data: string): void {
    // Synchronous append: the transcript on disk always holds everything
    // delivered so far, which is what `subscribe`'s transcriptBytes promises.
    const bytes = Buffer.from(data, 'utf8');
    writeSync(this.transcriptFd, bytes);
    this.transcriptBytes += bytes.length;
    this.lastOutputAt = this.now();
    this.screen.write(data);
    for (const listener of this.outputListeners) listener(data);
  }

  private onChildExit(exitCode: number, signal: number | undefined): void {
    const signalName = signal ? nameOfSignal(signal) : null;
    const record: ExitRecord = {
      exitCode: signalName ? null : exitCode,
      signal: signalName,
      at: new Date(this.now()).toISOString(),
    };
    writeExitRecord(this.paths, record);
    this.exitRecord = record;
    for (const listener of this.exitListeners) listener(record);
  }
}

function nameOfSignal(signal: number): string {
  for (const [name, value] of Object.entries(osConstants.signals)) {
    if (value === signal) return name;
  }
  return `SIG${signal}`;
}
