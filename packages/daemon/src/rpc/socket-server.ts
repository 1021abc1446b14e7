/**
 * The Unix socket the daemon listens on, created 0600 in a 0700 directory.
 * Each connection is a JsonRpcConnection (one JSON-RPC text per line, batches
 * allowed) over the router's method table, with a ConnectionContext for
 * notifications and cleanup.
 *
 * A hostile or stuck client cannot make the daemon hold unbounded memory:
 * reading from a connection pauses while it has too many requests in flight
 * or too much unread output; a client that stops reading altogether is
 * dropped once its unread output passes a hard cap; and at most
 * MAX_CONNECTIONS connections are open at once (more are closed at accept).
 */
import { chmodSync } from 'node:fs';
import net from 'node:net';
import { ErrorCode, JsonRpcConnection, MAX_BATCH_ANSWER_BYTES, MAX_JSON_DEPTH, MAX_LINE_BYTES, encodeLine } from '@oj/protocol';
import { createJSONRPCErrorResponse } from 'json-rpc-2.0';
import type { Logger } from 'winston';
import type { ConnectionContext } from './connection-context.js';
import type { RpcRouter } from './rpc-router.js';

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

export class SocketServer {
  private readonly server: net.Server;
  /** Open connections: each with whether it waits for or follows something. */
  private readonly connections = new Map<net.Socket, { conn: JsonRpcConnection<ConnectionContext>; busy: () => boolean }>();
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
    return this.connections.size;
  }

  /**
   * At the limit, a newcomer takes the place of the connection idle the longest
   * (one that waits for nothing and follows nothing), so idle clients cannot lock
   * out short requests; when every connection is busy it is told so in words.
   */
  private admit(socket: net.Socket): void {
    if (this.connections.size >= MAX_CONNECTIONS) {
      const victim = this.idlest();
      if (victim) {
        this.logger.warn('idle connection closed to make room for a new one', { limit: MAX_CONNECTIONS });
        victim.destroy();
        this.connections.delete(victim);
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
    for (const [socket, { conn, busy }] of this.connections) {
      if (busy() || now - conn.lastActive < EVICTABLE_AFTER_MS) continue;
      if (conn.lastActive < bestAt) {
        best = socket;
        bestAt = conn.lastActive;
      }
    }
    return best;
  }

  private accept(socket: net.Socket): void {
    const id = this.nextId++;
    // Callbacks of what follows something on this connection (ended with it).
    const followers: (() => void)[] = [];
    const conn: JsonRpcConnection<ConnectionContext> = new JsonRpcConnection<ConnectionContext>(socket, {
      server: this.router.server,
      context: {
        id,
        notify: (n, payload) => conn.notify(n, payload),
        onClose(cb) {
          if (conn.closed) cb();
          else followers.push(cb);
        },
        get closed() {
          return conn.closed;
        },
        writable: () => conn.writable(),
        get blocked() {
          return conn.blocked;
        },
      },
      answersOnly: true,
      maxLineBytes: MAX_LINE_BYTES,
      maxDepth: MAX_JSON_DEPTH,
      maxInFlight: MAX_IN_FLIGHT,
      pauseOutputBytes: PAUSE_OUTPUT_BYTES,
      dropOutputBytes: DROP_OUTPUT_BYTES,
      maxBatchAnswerBytes: MAX_BATCH_ANSWER_BYTES,
      beforeOutput: this.beforeOutput,
      log: (level, message, fields) => this.logger[level](message, { id, ...fields }),
    });
    // Waiting (a request in flight) or following (a subscription that ends with the connection) is busy.
    const busy = () => conn.inFlight > 0 || followers.length > 0;
    this.connections.set(socket, { conn, busy });
    socket.setTimeout(this.idleMs, () => {
      if (busy()) return;
      this.logger.debug('idle connection closed', { id, idleMs: this.idleMs });
      socket.destroy();
    });
    conn.onClose(() => {
      this.connections.delete(socket);
      for (const cb of followers.splice(0)) {
        try {
          cb();
        } catch (err) {
          this.logger.warn('connection close callback failed', { error: String(err) });
        }
      }
    });
  }

  /** Stops accepting, ends every connection. Idempotent. */
  close(): Promise<void> {
    if (!this.closing) {
      this.closing = new Promise((resolve) => {
        this.server.close(() => resolve());
        // Answers already given (daemon.stop's own) go out first.
        for (const { conn } of this.connections.values()) conn.end();
        setTimeout(() => {
          for (const s of this.connections.keys()) s.destroy();
        }, 200).unref();
      });
    }
    return this.closing;
  }
}
