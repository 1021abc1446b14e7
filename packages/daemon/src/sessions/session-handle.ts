/**
 * ojd's handle on one running (or just ended) session: typing, resizing,
 * capturing, killing, idle time, and one end report — `exited` (exit code or
 * signal, from the host) or `vanished` (the host went away without recording
 * an exit: the agent counts as dead).
 */
import { ErrorCode, OjError, SessionHostMethods as M } from '@oj/protocol';
import { readExitRecord, readHostError, type ExitRecord, type SessionPaths } from './session-files.js';
import type { SessionHostClient } from './session-host-client.js';

export type SessionEnd =
  | ({ kind: 'exited' } & ExitRecord)
  | { kind: 'vanished'; at: string; hostError?: string };

export interface KillOptions {
  signal?: M.SignalName;
  /** Wait this long for the exit before SIGKILL (default 5 s). */
  graceMs?: number;
}

export interface SessionHandleInit {
  id: string;
  paths: SessionPaths;
  client: SessionHostClient;
  /** Host info read before subscribing. */
  info: M.HostInfo;
  now: () => number;
  /** Pause between the text of a nudge and its Enter (see `send`). */
  enterDelayMs: number;
  /** Told once when the connection is gone for good (the supervisor forgets the handle). */
  onDetached: (handle: SessionHandle) => void;
}

export class SessionHandle {
  readonly id: string;
  readonly paths: SessionPaths;
  readonly hostPid: number;
  readonly childPid: number;
  /** When the host started the command (ms, host clock). */
  readonly startedAt: number;

  private readonly client: SessionHostClient;
  private readonly now: () => number;
  private readonly enterDelayMs: number;
  private readonly outputListeners = new Set<(data: string) => void>();
  private readonly endListeners = new Set<(end: SessionEnd) => void>();
  private lastActivity: number;
  private outputSeenAt: number | undefined;
  private endState: SessionEnd | undefined;
  private detachedByUs = false;
  private connectedFlag = true;
  private size: { cols: number; rows: number };
  private streamOffset = 0;

  constructor(init: SessionHandleInit) {
    this.id = init.id;
    this.paths = init.paths;
    this.client = init.client;
    this.now = init.now;
    this.enterDelayMs = init.enterDelayMs;
    this.hostPid = init.info.hostPid;
    this.childPid = init.info.childPid;
    this.startedAt = Date.parse(init.info.startedAt);
    this.size = { cols: init.info.cols, rows: init.info.rows };
    const lastOutput = init.info.lastOutputAt === null ? undefined : Date.parse(init.info.lastOutputAt);
    this.outputSeenAt = lastOutput;
    this.lastActivity = lastOutput ?? this.startedAt;

    // Listeners first, then subscribe: no notification can arrive unheard.
    init.client.onOutput((data) => {
      this.lastActivity = this.now();
      this.outputSeenAt = this.lastActivity;
      for (const listener of this.outputListeners) listener(data);
    });
    init.client.onExit((record) => this.finish({ kind: 'exited', ...record }));
    init.client.onClose(() => void this.onConnectionClosed(init.onDetached));
  }

  /** Starts the output/exit stream; the supervisor calls it once, right after construction. */
  async subscribe(): Promise<void> {
    const subscription = await this.client.subscribe();
    this.streamOffset = subscription.transcriptBytes;
    this.size = { cols: subscription.cols, rows: subscription.rows };
    if (subscription.exit) this.finish({ kind: 'exited', ...subscription.exit });
  }

  /** Bytes of transcript.log written before this handle's output stream began (replay them, then follow `onOutput`). */
  get transcriptOffset(): number {
    return this.streamOffset;
  }

  /** The command runs and the host is reachable. */
  get alive(): boolean {
    return this.endState === undefined && this.connectedFlag;
  }

  /** Connected to the host (it may linger after the command exited). */
  get connected(): boolean {
    return this.connectedFlag;
  }

  get end(): SessionEnd | undefined {
    return this.endState;
  }

  /** Last pty output seen (ms): host's record at connect, then this handle's clock. */
  get lastOutputAt(): number | undefined {
    return this.outputSeenAt;
  }

  get cols(): number {
    return this.size.cols;
  }

  get rows(): number {
    return this.size.rows;
  }

  /** Time since the last pty output (or since start when there was none). */
  idleMs(now: number = this.now()): number {
    return Math.max(0, now - this.lastActivity);
  }

  /** Types raw data (`\r` is Enter, `\x03` Ctrl-C). */
  async write(data: string): Promise<void> {
    await this.client.call(M.Write, { data });
  }

  /**
   * Types text, then Enter when asked. Enter goes as a separate write after a
   * short pause: TUIs such as Claude Code read text and "\r" arriving in one
   * chunk as a paste and insert a newline instead of submitting.
   */
  async send(text: string, options: { enter?: boolean } = {}): Promise<void> {
    if (text.length > 0) await this.write(text);
    if (options.enter) {
      if (text.length > 0 && this.enterDelayMs > 0) await delay(this.enterDelayMs);
      await this.write('\r');
    }
  }

  /** Types keys one by one, each its own write with the same pause between (a TUI reads them as keys, not a paste). */
  async typeKeys(keys: readonly string[]): Promise<void> {
    for (const [i, key] of keys.entries()) {
      if (i > 0 && this.enterDelayMs > 0) await delay(this.enterDelayMs);
      await this.write(key);
    }
  }

  /** Types the text followed by Enter. */
  nudge(text: string): Promise<void> {
    return this.send(text, { enter: true });
  }

  async resize(cols: number, rows: number): Promise<void> {
    this.size = await this.client.call(M.Resize, { cols, rows });
  }

  /** The visible screen, or with `lines` the last N lines of scrollback + screen. */
  async capture(lines?: number): Promise<string> {
    const { text } = await this.client.call(M.Capture, lines === undefined ? {} : { lines });
    return text;
  }

  /** The visible screen and where its cursor is (null from a host too old to say). */
  async screen(): Promise<{ text: string; cursor: { x: number; y: number } | null }> {
    const { text, cursor } = await this.client.call(M.Capture, {});
    return { text, cursor: cursor ?? null };
  }

  /** Fresh host info. */
  info(): Promise<M.HostInfo> {
    return this.client.info();
  }

  /** Signals the command, escalates to SIGKILL after the grace period, resolves with the end. */
  async kill(options: KillOptions = {}): Promise<SessionEnd> {
    if (this.endState) return this.endState;
    const graceMs = options.graceMs ?? 5000;
    await this.client.call(M.Kill, { signal: options.signal ?? 'SIGTERM' });
    const ended = await this.waitForEnd(graceMs);
    if (ended) return ended;
    await this.client.call(M.Kill, { signal: 'SIGKILL' });
    const killed = await this.waitForEnd(5000);
    if (killed) return killed;
    throw new OjError(ErrorCode.Timeout, `session ${this.id} did not exit after SIGKILL`, { kind: 'timeout', id: this.id });
  }

  /** Ends the host now (killing the command if it still runs); resolves once the connection is gone. */
  async shutdown(): Promise<void> {
    if (!this.connectedFlag) return;
    const closed = new Promise<void>((resolve) => this.client.onClose(() => resolve()));
    try {
      await this.client.call(M.Shutdown);
    } catch (error) {
      if (this.connectedFlag) throw error;
    }
    await closed;
  }

  /** Drops the connection and leaves the session running (daemon stop). */
  disconnect(): void {
    this.detachedByUs = true;
    this.client.close();
  }

  onOutput(listener: (data: string) => void): () => void {
    this.outputListeners.add(listener);
    return () => this.outputListeners.delete(listener);
  }

  /** Called once with the end; right away (next microtask) when it already ended. */
  onExit(listener: (end: SessionEnd) => void): () => void {
    const end = this.endState;
    if (end) {
      queueMicrotask(() => listener(end));
      return () => undefined;
    }
    this.endListeners.add(listener);
    return () => this.endListeners.delete(listener);
  }

  exited(): Promise<SessionEnd> {
    return new Promise((resolve) => this.onExit(resolve));
  }

  private waitForEnd(ms: number): Promise<SessionEnd | undefined> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        off();
        resolve(undefined);
      }, ms);
      const off = this.onExit((end) => {
        clearTimeout(timer);
        resolve(end);
      });
    });
  }

  private finish(end: SessionEnd): void {
    if (this.endState) return;
    this.endState = end;
    for (const listener of this.endListeners) listener(end);
    this.endListeners.clear();
  }

  private async onConnectionClosed(onDetached: (handle: SessionHandle) => void): Promise<void> {
    this.connectedFlag = false;
    onDetached(this);
    if (this.detachedByUs || this.endState) return;
    // The host went away while the command ran: it recorded an exit, or it died.
    let exit: ExitRecord | undefined;
    try {
      exit = await readExitRecord(this.paths);
    } catch {
      exit = undefined;
    }
    if (exit) {
      this.finish({ kind: 'exited', ...exit });
      return;
    }
    const hostError = readHostError(this.paths);
    this.finish({ kind: 'vanished', at: new Date(this.now()).toISOString(), ...(hostError ? { hostError } : {}) });
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
