/**
 * A server-sent events stream to one browser page: named events with JSON
 * data (one line each), optional ids (a reconnecting EventSource sends the
 * last as Last-Event-ID), a comment every 15 s to keep the connection alive,
 * and an end when the page goes. A page that stops reading is cut off
 * instead of being buffered for without end: it reconnects and catches up.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

const KEEPALIVE_MS = 15_000;
/** Unread output a page may have before it is cut off (it reconnects and catches up from its last id). */
const MAX_BUFFERED = 4 * 1024 * 1024;

export class SseStream {
  private readonly aborter = new AbortController();
  private readonly keepalive: NodeJS.Timeout;

  constructor(
    req: IncomingMessage,
    private readonly res: ServerResponse,
    headers: Record<string, string>,
  ) {
    res.writeHead(200, { ...headers, 'Content-Type': 'text/event-stream; charset=utf-8', 'X-Accel-Buffering': 'no' });
    res.write('retry: 1500\n\n');
    this.keepalive = setInterval(() => this.write(': keepalive\n\n'), KEEPALIVE_MS);
    const end = () => this.close();
    req.on('close', end);
    res.on('close', end);
    res.on('error', end);
  }

  /** Aborts when the page has gone (or the stream was closed). */
  get signal(): AbortSignal {
    return this.aborter.signal;
  }

  get closed(): boolean {
    return this.aborter.signal.aborted;
  }

  send(event: string, data: unknown, id?: number): void {
    this.write(`${id !== undefined ? `id: ${id}\n` : ''}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  close(): void {
    if (this.closed) return;
    clearInterval(this.keepalive);
    this.aborter.abort();
    if (!this.res.writableEnded) this.res.end();
  }

  private write(text: string): void {
    if (this.closed) return;
    this.res.write(text);
    if (this.res.writableLength > MAX_BUFFERED) this.close();
  }
}
