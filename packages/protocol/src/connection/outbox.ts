/**
 * A connection's output. Everything written in one turn of the event loop
 * (the answers to one chunk of pipelined requests, notifications) goes out in
 * one `write`: one syscall, not one per line. `beforeOutput` runs before each
 * such write (ojd makes its commits durable there); when it throws, nothing
 * is written and the connection is destroyed. A peer that leaves more than
 * `dropBytes` unread (it stopped reading) is disconnected rather than
 * buffered for without bound.
 */
import type { Socket } from 'node:net';
import type { ConnectionLog } from './connection-options.js';

export interface OutboxHooks {
  beforeOutput: () => void;
  dropBytes: number;
  log: ConnectionLog;
  /** After each write reached the socket (flow control looks again). */
  wrote: () => void;
}

export class Outbox {
  private pending: string[] = [];
  private pendingBytes = 0;
  private scheduled = false;
  /** When output last reached the socket. */
  lastWrite = 0;

  constructor(
    private readonly socket: Socket,
    private readonly hooks: OutboxHooks,
  ) {}

  /** Output not yet read by the peer: in the socket's buffer or not yet written. */
  get unread(): number {
    return this.socket.writableLength + this.pendingBytes;
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

  /** Writes what is queued now (also before the connection is ended). */
  readonly flush = (): void => {
    this.scheduled = false;
    if (this.pending.length === 0) return;
    const text = this.pending.length === 1 ? this.pending[0]! : this.pending.join('');
    this.pending = [];
    this.pendingBytes = 0;
    if (this.socket.destroyed || this.socket.writableEnded) return;
    try {
      this.hooks.beforeOutput();
    } catch (err) {
      this.hooks.log('error', 'answers not sent: the state they report could not be made durable', { error: String(err) });
      this.socket.destroy();
      return;
    }
    this.socket.write(text);
    this.lastWrite = Date.now();
    this.hooks.wrote();
  };
}
