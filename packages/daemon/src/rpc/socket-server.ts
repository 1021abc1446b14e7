/**
 * The Unix socket the daemon listens on: NDJSON framing (one JSON-RPC text
 * per line, batches allowed), created 0600 in a 0700 directory. Each
 * connection gets a ConnectionContext for notifications and cleanup.
 *
 * A hostile or stuck client cannot make the daemon hold unbounded memory:
 * reading from a connection pauses while it has too many requests in flight
 * or too much unread output; a client that stops reading altogether is
 * dropped once its unread output passes a hard cap; and at most
 * MAX_CONNECTIONS connections are open at once (more are closed at accept).
 */
import { chmodSync } from 'node:fs';
import net from 'node:net';
import { ErrorCode, LineDecoder, MAX_LINE_BYTES, encodeLine, type DecodedItem, type Notification } from '@oj/protocol';
import { createJSONRPCErrorResponse, type JSONRPCRequest, type JSONRPCResponse } from 'json-rpc-2.0';
import type { Logger } from 'winston';
import type { ConnectionContext } from './connection-context.js';
import { RpcRouter } from './rpc-router.js';
import { MAX_JSON_DEPTH, nestsDeeperThan } from './json-depth.js';
import { checkRequestShape, type RequestId } from './request-shape.js';

/** Reading pauses while this many requests are in flight on one connection. */
const MAX_IN_FLIGHT = 64;
/** Reading pauses while this much output waits to be read by the client. */
const PAUSE_OUTPUT_BYTES = 1024 * 1024;
/** A client with this much unread output (it stopped reading) is disconnected. */
const DROP_OUTPUT_BYTES = 32 * 1024 * 1024;
export const MAX_CONNECTIONS = 512;
/** Accepted past MAX_CONNECTIONS only to be told why they are refused (beyond that, dropped at accept). */
const REFUSAL_ROOM = 16;
/** A refused connection whose client does not hang up after reading why is closed after this long. */
const REFUSED_LINGER_MS = 5000;
/** An idle connection is evicted for a newcomer at the limit only once it has been idle this long. */
const EVICTABLE_AFTER_MS = 1000;
export const DEFAULT_IDLE_MS = 120_000;
/** A batch stops running its members once their answers pass this size (each one left gets an error). */
export const MAX_BATCH_ANSWER_BYTES = 16 * 1024 * 1024;

export class SocketServer {
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();
  /** Per connection: writes out its batched output now. */
  private readonly flushers = new Map<net.Socket, () => void>();
  /** Per connection: when it last read or wrote, and whether it waits for or follows something. */
  private readonly activity = new Map<net.Socket, { lastActive: number; busy: () => boolean }>();
  private nextId = 1;
  private closing: Promise<void> | null = null;

  /**
   * @param beforeOutput runs before any answer or notification is written
   *   (the daemon makes its commits durable there: group commit); when it
   *   throws, the output is not sent and the connection is closed.
   */
  constructor(
    private readonly router: RpcRouter,
    private readonly logger: Logger,
    readonly path: string,
    private readonly beforeOutput: () => void = () => {},
    /** A connection with nothing in flight that follows nothing is closed after this long idle. */
    private readonly idleMs: number = DEFAULT_IDLE_MS,
  ) {
    // Half-open: a client may end its side after its last request and still read the answers.
    this.server = net.createServer({ allowHalfOpen: true }, (socket) => this.admit(socket));
    this.server.maxConnections = MAX_CONNECTIONS + REFUSAL_ROOM;
    let lastDropLog = 0;
    this.server.on('drop', () => {
      if (Date.now() - lastDropLog < 10_000) return;
      lastDropLog = Date.now();
      this.logger.warn('connection refused: too many open connections', { limit: MAX_CONNECTIONS });
    });
  }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      const old = process.umask(0o177);
      this.server.once('error', (err) => {
        process.umask(old);
        reject(err);
      });
      this.server.listen(this.path, () => {
        process.umask(old);
        chmodSync(this.path, 0o600);
        resolve();
      });
    });
  }

  get connectionCount(): number {
    return this.sockets.size;
  }

  /**
   * At the limit, a newcomer takes the place of the connection idle the longest
   * (one that waits for nothing and follows nothing), so idle clients cannot lock
   * out short requests; when every connection is busy it is told so in words.
   */
  private admit(socket: net.Socket): void {
    if (this.sockets.size >= MAX_CONNECTIONS) {
      const victim = this.idlest();
      if (victim) {
        this.logger.warn('idle connection closed to make room for a new one', { limit: MAX_CONNECTIONS });
        victim.destroy();
        this.sockets.delete(victim);
      } else {
        this.logger.warn('connection refused: too many open connections', { limit: MAX_CONNECTIONS });
        const refusal = createJSONRPCErrorResponse(null, ErrorCode.Unavailable, `too many connections: ${MAX_CONNECTIONS} are open and busy`, {
          kind: 'too_many_connections',
          limit: MAX_CONNECTIONS,
          hint: 'try again when some finish; oj daemon status shows the count',
        });
        socket.on('error', () => {});
        // What it sends is read and dropped, so that its end is seen and the socket closes: a refused
        // client that had written a request (and so was never seen to end) kept its slot for good, and
        // with 16 of them the server stayed at its accept limit, dropping every newcomer even when idle
        // connections could have made room. One that never ends its side is closed after a while. (Not
        // closed at once: the client may still be writing its request, and would get EPIPE, not the reason.)
        socket.resume();
        socket.end(encodeLine(refusal));
        setTimeout(() => socket.destroy(), REFUSED_LINGER_MS).unref();
        return;
      }
    }
    this.accept(socket);
  }

  private idlest(): net.Socket | null {
    const now = Date.now();
    let best: net.Socket | null = null;
    let bestAt = Infinity;
    for (const [socket, a] of this.activity) {
      if (a.busy() || now - a.lastActive < EVICTABLE_AFTER_MS) continue;
      if (a.lastActive < bestAt) {
        best = socket;
        bestAt = a.lastActive;
      }
    }
    return best;
  }

  private accept(socket: net.Socket): void {
    const id = this.nextId++;
    this.sockets.add(socket);
    const decoder = new LineDecoder(MAX_LINE_BYTES);
    const closeCallbacks: (() => void)[] = [];
    let closed = false;
    let inFlight = 0;
    // Lines read but not yet handled: the socket is paused while any wait, so this holds at most one chunk's worth.
    let queue: DecodedItem[] = [];
    let next = 0;
    // Output of one turn of the event loop (the answers to one chunk of pipelined
    // requests, notifications) goes out in one write: one syscall, not one per line.
    let pending: string[] = [];
    let pendingBytes = 0;
    let flushScheduled = false;
    const flush = () => {
      flushScheduled = false;
      if (pending.length === 0) return;
      const text = pending.length === 1 ? pending[0]! : pending.join('');
      pending = [];
      pendingBytes = 0;
      if (closed || socket.destroyed || socket.writableEnded) return;
      try {
        this.beforeOutput();
      } catch (err) {
        this.logger.error('answers not sent: the state they report could not be made durable', { id, error: String(err) });
        socket.destroy();
        return;
      }
      socket.write(text);
      state.lastActive = Date.now();
      flowControl();
    };
    this.flushers.set(socket, flush);
    // Waiting (a request in flight) or following (a subscription that ends with the connection) is busy.
    const state = { lastActive: Date.now(), busy: () => inFlight > 0 || closeCallbacks.length > 0 };
    this.activity.set(socket, state);
    socket.setTimeout(this.idleMs, () => {
      if (state.busy()) return;
      this.logger.debug('idle connection closed', { id, idleMs: this.idleMs });
      socket.destroy();
    });
    const unread = () => socket.writableLength + pendingBytes;
    const blocked = () => inFlight >= MAX_IN_FLIGHT || unread() > PAUSE_OUTPUT_BYTES;
    // Streams waiting for the client to read (ConnectionContext.writable).
    let drainWaiters: (() => void)[] = [];
    const wakeWriters = () => {
      if (drainWaiters.length === 0 || (!closed && unread() > PAUSE_OUTPUT_BYTES)) return;
      const waiters = drainWaiters;
      drainWaiters = [];
      for (const w of waiters) w();
    };
    const flowControl = () => {
      wakeWriters();
      if (closed || socket.destroyed) return;
      while (next < queue.length && !blocked()) handle(queue[next++]!);
      if (next >= queue.length) {
        queue = [];
        next = 0;
      }
      if (next < queue.length || blocked()) socket.pause();
      else if (socket.isPaused()) socket.resume();
    };
    const write = (value: unknown) => {
      if (closed || socket.destroyed) return;
      if (unread() > DROP_OUTPUT_BYTES) {
        this.logger.warn('connection dropped: the client is not reading its responses', { id, unreadBytes: unread() });
        pending = [];
        pendingBytes = 0;
        socket.destroy();
        return;
      }
      const line = encodeLine(value);
      pending.push(line);
      pendingBytes += line.length;
      if (!flushScheduled) {
        flushScheduled = true;
        setImmediate(flush);
      }
    };
    socket.on('drain', flowControl);
    const ctx: ConnectionContext = {
      id,
      notify<P>(n: Notification<string, P>, payload: P) {
        write({ jsonrpc: '2.0', method: n.name, params: payload });
      },
      onClose(cb) {
        if (closed) cb();
        else closeCallbacks.push(cb);
      },
      get closed() {
        return closed;
      },
      writable() {
        if (!ctx.blocked) return Promise.resolve();
        return new Promise<void>((resolve) => drainWaiters.push(resolve));
      },
      get blocked() {
        return !closed && unread() > PAUSE_OUTPUT_BYTES;
      },
    };
    const finish = () => {
      if (closed) return;
      closed = true;
      this.sockets.delete(socket);
      this.flushers.delete(socket);
      this.activity.delete(socket);
      wakeWriters();
      for (const cb of closeCallbacks.splice(0)) {
        try {
          cb();
        } catch (err) {
          this.logger.warn('connection close callback failed', { error: String(err) });
        }
      }
    };
    const handle = (item: DecodedItem) => {
      if (item.kind === 'overflow') {
        write(
          createJSONRPCErrorResponse(null, ErrorCode.LineTooLong, `request line too long: over ${MAX_LINE_BYTES} bytes`, {
            kind: 'line_too_long',
            limit: MAX_LINE_BYTES,
          }),
        );
        return;
      }
      if (nestsDeeperThan(item.line, MAX_JSON_DEPTH)) {
        write(
          createJSONRPCErrorResponse(null, ErrorCode.InvalidRequest, `request nested deeper than ${MAX_JSON_DEPTH} levels`, {
            kind: 'invalid_request',
            maxDepth: MAX_JSON_DEPTH,
          }),
        );
        return;
      }
      let request: unknown;
      try {
        request = JSON.parse(item.line);
      } catch (err) {
        write(
          createJSONRPCErrorResponse(null, ErrorCode.ParseError, 'parse error: ' + (err as Error).message, {
            kind: 'parse_error',
          }),
        );
        return;
      }
      // A batch counts as many requests as it holds, so a batch cannot get round the in-flight limit.
      const weight = Array.isArray(request) ? Math.max(1, request.length) : 1;
      inFlight += weight;
      this.answer(request, ctx).then(
        (response) => {
          inFlight -= weight;
          if (response !== null) write(RpcRouter.withErrorData(response));
          flowControl();
          endWhenDone();
        },
        (err: unknown) => {
          inFlight -= weight;
          this.logger.error('request handling failed', { error: String(err) });
          flowControl();
          endWhenDone();
        },
      );
    };
    // The client ended its side: its last line counts even without a newline; once every
    // answer is written, our side ends too.
    let inputEnded = false;
    const endWhenDone = () => {
      if (!inputEnded || inFlight > 0 || next < queue.length || closed || socket.destroyed) return;
      flush();
      socket.end();
    };
    socket.on('data', (chunk: Buffer) => {
      state.lastActive = Date.now();
      for (const item of decoder.push(chunk)) queue.push(item);
      flowControl();
    });
    socket.on('end', () => {
      inputEnded = true;
      for (const item of decoder.end()) queue.push(item);
      flowControl();
      endWhenDone();
    });
    socket.on('error', (err) => this.logger.debug('connection error', { id, error: err.message }));
    socket.on('close', finish);
  }

  /**
   * The answer to one parsed line: a request, or a batch (answered as an
   * array in the order given, notifications left out; nothing at all when
   * only notifications remain; an empty batch is one -32600, not an array).
   */
  private async answer(request: unknown, ctx: ConnectionContext): Promise<JSONRPCResponse | JSONRPCResponse[] | null> {
    if (!Array.isArray(request)) return this.answerOne(request, ctx);
    if (request.length === 0) return invalidRequest(null, 'an empty batch');
    // Members run in order, and the batch's answer is held to MAX_BATCH_ANSWER_BYTES: once
    // it is reached, the members left are not run and get an error each (a batch of huge
    // answers cannot make the daemon build gigabytes in memory).
    const sent: JSONRPCResponse[] = [];
    let bytes = 0;
    for (const member of request) {
      if (bytes > MAX_BATCH_ANSWER_BYTES) {
        const shape = checkRequestShape(member);
        if (!shape.ok) sent.push(invalidRequest(shape.id, shape.reason));
        else if ('id' in (member as object)) sent.push(batchTooLarge((member as { id: RequestId }).id, bytes));
        continue;
      }
      const a = await this.answerOne(member, ctx);
      if (a === null) continue;
      bytes += JSON.stringify(a).length;
      sent.push(a);
    }
    return sent.length ? sent : null;
  }

  private async answerOne(request: unknown, ctx: ConnectionContext): Promise<JSONRPCResponse | null> {
    const shape = checkRequestShape(request);
    if (!shape.ok) return invalidRequest(shape.id, shape.reason);
    return this.router.server.receive(request as JSONRPCRequest, ctx);
  }

  /** Stops accepting, ends every connection. Idempotent. */
  close(): Promise<void> {
    if (!this.closing) {
      this.closing = new Promise((resolve) => {
        this.server.close(() => resolve());
        for (const s of this.sockets) {
          this.flushers.get(s)?.(); // answers already given (daemon.stop's own) go out first
          s.end();
        }
        setTimeout(() => {
          for (const s of this.sockets) s.destroy();
        }, 200).unref();
      });
    }
    return this.closing;
  }
}

function invalidRequest(id: RequestId, reason: string): JSONRPCResponse {
  return createJSONRPCErrorResponse(id, ErrorCode.InvalidRequest, `invalid request: ${reason}`, { kind: 'invalid_request' });
}

function batchTooLarge(id: RequestId, bytes: number): JSONRPCResponse {
  return createJSONRPCErrorResponse(
    id,
    ErrorCode.Unavailable,
    `not run: the batch's answers already reached ${bytes} bytes (the limit is ${MAX_BATCH_ANSWER_BYTES})`,
    { kind: 'batch_too_large', limit: MAX_BATCH_ANSWER_BYTES, hint: 'send fewer requests per batch, or smaller pages (limit)' },
  );
}
