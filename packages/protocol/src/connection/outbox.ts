/**
 * A connection's output. Everything written in one turn of the event loop
 * (the answers to one chunk of pipelined requests, notifications) goes out in
 * one `write`: one syscall, not one per line. `beforeOutput` runs before each
 * such write (ojd makes its commits durable there: group commit). It may
 * hold the output back by returning a promise: what was queued goes out once
 * it resolves, and lines queued meanwhile wait for the next write (and its
 * own `beforeOutput`), so output keeps its order. When it throws or rejects,
 * nothing is written and the connection is destroyed. A peer that leaves
 * more than `dropBytes` unread (it stopped reading) is disconnected rather
 * than buffered for without bound.
 */
import type { Socket } from 'node:net';
import type { ConnectionLog } from './connection-options.js';

/** Runs before output is written; a promise holds the output until it resolves. */
export type BeforeOutput = () => void | PromiseLike<void>;

export interface OutboxHooks {
  beforeOutput: BeforeOutput;
  dropBytes: number;
  log: ConnectionLog;
  /** After each write reached the socket (flow control looks again). */
  wrote: () => void;
}

export class Outbox {
  private pending: string[] = [];
  private pendingBytes = 0;
  private scheduled = false;
  /** Bytes taken for a write that beforeOutput holds back (null: none is held). */
  private held: number | null = null;
  /** Run once nothing is queued or held (ending the connection after its last output). */
  private idleWaiters: (() => void)[] = [];
  /** When output last reached the socket. */
  lastWrite = 0;

  constructor(
    private readonly socket: Socket,
    private readonly hooks: OutboxHooks,
  ) {}

  /** Output not yet read by the peer: in the socket's buffer, held, or not yet written. */
  get unread(): number {
    return this.socket.writableLength + this.pendingBytes + (this.held ?? 0);
  }

  /** Queues one line (a JSON text and its newline); it goes out at the end of this turn of the event loop. */
  push(line: string): void {
    if (this.socket.destroyed) return;
    if (this.unread > this.hooks.dropBytes) {
      this.hooks.log('warn', 'connection dropped: the client is not reading its responses', { unreadBytes: this.unread });
      this.pending = [];
      this.pendingBytes = 0;
      this.socket.destroy();
      return;
    }
    this.pending.push(line);
    this.pendingBytes += line.length;
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flush);
    }
  }

  /** Writes what is queued now (or once beforeOutput lets it; while a write is held, what follows waits for it). */
  readonly flush = (): void => {
    this.scheduled = false;
    if (this.held !== null) return;
    if (this.pending.length === 0 || this.socket.destroyed || this.socket.writableEnded) {
      this.pending = [];
      this.pendingBytes = 0;
      this.idle();
      return;
    }
    const text = this.pending.length === 1 ? this.pending[0]! : this.pending.join('');
    const bytes = this.pendingBytes;
    this.pending = [];
    this.pendingBytes = 0;
    let gate: void | PromiseLike<void>;
    try {
      gate = this.hooks.beforeOutput();
    } catch (err) {
      this.refused(err);
      return;
    }
    if (!isThenable(gate)) {
      this.write(text);
      return;
    }
    this.held = bytes;
    gate.then(
      () => {
        this.held = null;
        this.write(text);
        // Lines queued while this write was held: their own beforeOutput, now.
        if (this.pending.length && !this.scheduled) this.flush();
      },
      (err: unknown) => {
        this.held = null;
        this.refused(err);
      },
    );
  };

  /** Calls cb once everything queued so far has been written (or dropped with the connection). */
  whenWritten(cb: () => void): void {
    this.flush();
    if (this.held === null && this.pending.length === 0) cb();
    else this.idleWaiters.push(cb);
  }

  private write(text: string): void {
    if (this.socket.destroyed || this.socket.writableEnded) {
      this.idle();
      return;
    }
    this.socket.write(text);
    this.lastWrite = Date.now();
    this.hooks.wrote();
    if (this.pending.length === 0) this.idle();
  }

  private refused(err: unknown): void {
    this.hooks.log('error', 'answers not sent: the state they report could not be made durable', { error: String(err) });
    this.pending = [];
    this.pendingBytes = 0;
    this.socket.destroy();
    this.idle();
  }

  private idle(): void {
    if (this.held !== null || this.pending.length) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}

function isThenable(v: unknown): v is PromiseLike<void> {
  return typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function';
}
