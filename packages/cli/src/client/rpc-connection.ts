/**
 * A connection to ojd: NDJSON over the Unix socket, typed calls through the
 * protocol's method descriptors, and notifications dispatched by name. The
 * version handshake is sent with the first call (pipelined, no extra wait).
 */
import net from 'node:net';
import {
  DaemonMethods,
  ErrorCode,
  LineDecoder,
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
import { JSONRPCClient, JSONRPCErrorException, type JSONRPCResponse } from 'json-rpc-2.0';

export class RpcConnection {
  private readonly client: JSONRPCClient;
  private readonly decoder = new LineDecoder(Number.MAX_SAFE_INTEGER);
  private readonly handlers = new Map<string, (payload: unknown) => void>();
  private hello: Promise<unknown> | null = null;
  private closedError: Error | null = null;
  private readonly closeCallbacks: ((err: Error | null) => void)[] = [];

  private constructor(private readonly socket: net.Socket) {
    this.client = new JSONRPCClient((payload) => {
      if (this.closedError) throw this.closedError;
      socket.write(encodeLine(payload));
    });
    socket.on('data', (chunk: Buffer) => {
      for (const item of this.decoder.push(chunk)) {
        if (item.kind !== 'line') continue;
        this.receive(JSON.parse(item.line) as unknown);
      }
    });
    const closed = (err: Error | null) => {
      if (this.closedError) return;
      this.closedError = err ?? new Error('connection to ojd closed');
      this.client.rejectAllPendingRequests(this.closedError.message);
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
    const responses: JSONRPCResponse[] = [];
    for (const m of items) {
      const obj = m as { method?: string; params?: unknown; id?: unknown };
      if (typeof obj.method === 'string' && obj.id === undefined) {
        this.handlers.get(obj.method)?.(obj.params);
      } else {
        responses.push(m as JSONRPCResponse);
      }
    }
    if (responses.length) this.client.receive(responses.length === 1 ? responses[0]! : responses);
  }

  async call<M extends AnyMethod>(method: M, params?: ParamsOf<M>): Promise<ResultOf<M>> {
    if (!this.hello) {
      this.hello = this.raw(DaemonMethods.Hello.name, { clientVersion: OJ_VERSION, protocolVersion: PROTOCOL_VERSION });
    }
    const [, result] = await Promise.all([this.hello, this.raw(method.name, params)]);
    return result as ResultOf<M>;
  }

  private async raw(name: string, params: unknown): Promise<unknown> {
    try {
      return await this.client.request(name, params, undefined);
    } catch (err) {
      if (err instanceof JSONRPCErrorException) {
        throw new OjError(err.code, err.message, (err.data as OjErrorData | undefined) ?? { kind: 'error' });
      }
      throw new OjError(ErrorCode.Unavailable, (err as Error).message, {
        kind: 'unavailable',
        hint: 'the daemon went away; see: oj daemon logs',
      });
    }
  }

  on<P>(n: Notification<string, P>, handler: (payload: PayloadOf<Notification<string, P>>) => void): void {
    this.handlers.set(n.name, handler as (payload: unknown) => void);
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
