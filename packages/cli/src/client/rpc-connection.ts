/**
 * A connection to ojd: NDJSON over the Unix socket, typed calls through the
 * protocol's method descriptors, and notifications dispatched by name. The
 * version handshake is sent with the first call (pipelined, no extra wait).
 * Requests are matched to responses by id here rather than through
 * json-rpc-2.0's client: loading that library cost every `oj` start more
 * than the whole exchange (see docs/performance.md).
 */
import net from 'node:net';
import {
  DaemonMethods,
  ErrorCode,
  LineDecoder,
  MAX_LINE_BYTES,
  OJ_VERSION,
  OjError,
  PROTOCOL_VERSION,
  encodeLine,
  type AnyMethod,
  type Notification,
  type OjErrorData,
  type ParamsOf,
  type PayloadOf,
  type ResultOf,
} from '@oj/protocol/client';

interface Pending {
  resolve(result: unknown): void;
  reject(err: OjError): void;
}

interface Response {
  id?: unknown;
  result?: unknown;
  error?: { code: number; message: string; data?: unknown };
}

export class RpcConnection {
  private readonly decoder = new LineDecoder(Number.MAX_SAFE_INTEGER);
  private readonly handlers = new Map<string, (payload: unknown) => void>();
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private hello: Promise<unknown> | null = null;
  private closedError: Error | null = null;
  private readonly closeCallbacks: ((err: Error | null) => void)[] = [];

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      for (const item of this.decoder.push(chunk)) {
        if (item.kind !== 'line') continue;
        this.receive(JSON.parse(item.line) as unknown);
      }
    });
    const closed = (err: Error | null) => {
      if (this.closedError) return;
      this.closedError = err ?? new Error('connection to ojd closed');
      for (const p of this.pending.values()) p.reject(unavailable(this.closedError.message));
      this.pending.clear();
      for (const cb of this.closeCallbacks.splice(0)) cb(err);
    };
    socket.on('error', (err) => closed(err));
    socket.on('close', () => closed(null));
  }

  /** Connects; rejects with the socket error (ENOENT, ECONNREFUSED...) if nobody listens. */
  static connect(path: string): Promise<RpcConnection> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(path);
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new RpcConnection(socket));
      });
    });
  }

  private receive(message: unknown): void {
    const items = Array.isArray(message) ? message : [message];
    for (const m of items) {
      const obj = m as { method?: string; params?: unknown; id?: unknown };
      if (typeof obj.method === 'string' && obj.id === undefined) {
        this.handlers.get(obj.method)?.(obj.params);
      } else {
        this.settle(m as Response);
      }
    }
  }

  private settle(r: Response): void {
    if (r.id === null && r.error) {
      // The daemon could not tell which request this answers (a line it refused before
      // reading an id): every request still waiting gets the error, none hangs.
      const err = new OjError(r.error.code, r.error.message, (r.error.data as OjErrorData | undefined) ?? { kind: 'error' });
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
      return;
    }
    if (typeof r.id !== 'number') return;
    const p = this.pending.get(r.id);
    if (!p) return;
    this.pending.delete(r.id);
    if (r.error) p.reject(new OjError(r.error.code, r.error.message, (r.error.data as OjErrorData | undefined) ?? { kind: 'error' }));
    else p.resolve(r.result);
  }

  async call<M extends AnyMethod>(method: M, params?: ParamsOf<M>): Promise<ResultOf<M>> {
    if (!this.hello) {
      this.hello = this.raw(DaemonMethods.Hello.name, { clientVersion: OJ_VERSION, protocolVersion: PROTOCOL_VERSION });
    }
    const [, result] = await Promise.all([this.hello, this.raw(method.name, params)]);
    return result as ResultOf<M>;
  }

  private raw(name: string, params: unknown): Promise<unknown> {
    if (this.closedError) return Promise.reject(unavailable(this.closedError.message));
    const id = this.nextId++;
    const line = encodeLine({ jsonrpc: '2.0', id, method: name, ...(params !== undefined ? { params } : {}) });
    const bytes = Buffer.byteLength(line) - 1;
    if (bytes > MAX_LINE_BYTES) {
      return Promise.reject(
        new OjError(ErrorCode.LineTooLong, `the ${name} request is ${bytes} bytes, over the daemon's ${MAX_LINE_BYTES}-byte line limit`, {
          kind: 'line_too_long',
          limit: MAX_LINE_BYTES,
          hint: 'send less in one request',
        }),
      );
    }
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.socket.write(line);
    });
  }

  on<P>(n: Notification<string, P>, handler: (payload: PayloadOf<Notification<string, P>>) => void): void {
    this.handlers.set(n.name, handler as (payload: unknown) => void);
  }

  /**
   * Writes streamed output to `out`; when `out` cannot take it as fast (a
   * pager, a slow pipe), stops reading from ojd until it drains, so the
   * daemon's flow control holds the output back instead of this process
   * buffering it.
   */
  writeThrough(out: NodeJS.WritableStream, data: string): void {
    if (out.write(data) || this.socket.isPaused()) return;
    this.socket.pause();
    out.once('drain', () => this.socket.resume());
  }

  onClose(cb: (err: Error | null) => void): void {
    if (this.closedError) cb(null);
    else this.closeCallbacks.push(cb);
  }

  close(): void {
    this.socket.end();
    this.socket.destroy();
  }
}

function unavailable(message: string): OjError {
  return new OjError(ErrorCode.Unavailable, message, {
    kind: 'unavailable',
    hint: 'the daemon went away; see: oj daemon logs',
  });
}
