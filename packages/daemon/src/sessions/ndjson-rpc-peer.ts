/**
 * One end of an NDJSON JSON-RPC 2.0 connection over a socket, typed by the
 * protocol's method and notification descriptors. Both ends can call, handle
 * and notify (json-rpc-2.0's JSONRPCServerAndClient underneath); framing is
 * the protocol's LineDecoder, so an over-long line is refused, not buffered.
 *
 * The session host uses it per accepted connection, ojd's SessionHostClient
 * on its one connection to a host.
 */
import type { Socket } from 'node:net';
import {
  JSONRPCClient,
  JSONRPCErrorException,
  JSONRPCServer,
  JSONRPCServerAndClient,
  createJSONRPCErrorResponse,
  isJSONRPCRequest,
  isJSONRPCRequests,
  isJSONRPCResponse,
  isJSONRPCResponses,
  type JSONRPCErrorResponse,
  type JSONRPCID,
} from 'json-rpc-2.0';
import {
  ErrorCode,
  ErrorKind,
  LineDecoder,
  MAX_LINE_BYTES,
  OjError,
  encodeLine,
  type AnyMethod,
  type Notification,
  type OjErrorData,
  type ParamsOf,
  type ParsedParamsOf,
  type PayloadOf,
  type ResultOf,
} from '@oj/protocol';

export interface NdjsonRpcPeerOptions {
  maxLineBytes?: number;
  /** A peer that lets this much output pile up unread is disconnected. */
  maxBufferedBytes?: number;
  /** Default deadline of `call`. */
  callTimeoutMs?: number;
  /** Told about handler failures and malformed messages (default: ignored). */
  onError?: (message: string, detail: unknown) => void;
}

/** Params are optional in the call when the schema accepts undefined. */
export type CallArgs<M extends AnyMethod> = undefined extends ParamsOf<M> ? [params?: ParamsOf<M>] : [params: ParamsOf<M>];

export class NdjsonRpcPeer {
  private readonly rpc: JSONRPCServerAndClient<void, void>;
  private readonly client: JSONRPCClient<void>;
  private readonly decoder: LineDecoder;
  private readonly maxBufferedBytes: number;
  private readonly callTimeoutMs: number;
  private readonly closeListeners = new Set<(error?: Error) => void>();
  private closedFlag = false;

  constructor(
    private readonly socket: Socket,
    options: NdjsonRpcPeerOptions = {},
  ) {
    this.decoder = new LineDecoder(options.maxLineBytes ?? MAX_LINE_BYTES);
    this.maxBufferedBytes = options.maxBufferedBytes ?? 16 * 1024 * 1024;
    this.callTimeoutMs = options.callTimeoutMs ?? 10_000;
    const errorListener = options.onError ?? (() => undefined);
    const server = new JSONRPCServer<void>({ errorListener });
    server.mapErrorToJSONRPCErrorResponse = toErrorResponse;
    this.client = new JSONRPCClient<void>((payload: unknown) => this.send(payload));
    this.rpc = new JSONRPCServerAndClient(server, this.client, { errorListener });

    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', () => {
      /* 'close' follows and reports it */
    });
    socket.on('close', (hadError: boolean) => this.onClosed(hadError ? new Error('connection error') : undefined));
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  /** Calls a method; rejects with OjError for an error response or a timeout. */
  async call<M extends AnyMethod>(m: M, ...args: CallArgs<M>): Promise<ResultOf<M>> {
    return this.callWithTimeout(m, this.callTimeoutMs, ...args);
  }

  async callWithTimeout<M extends AnyMethod>(m: M, timeoutMs: number, ...args: CallArgs<M>): Promise<ResultOf<M>> {
    if (this.closedFlag) throw unavailable(`connection closed before ${m.name}`);
    const requester = this.client.timeout(timeoutMs, (id: JSONRPCID) =>
      createJSONRPCErrorResponse(id, ErrorCode.Timeout, `${m.name} timed out after ${timeoutMs} ms`, { kind: 'timeout' }),
    );
    try {
      return (await requester.request(m.name, args[0], undefined)) as ResultOf<M>;
    } catch (error) {
      throw toOjError(error);
    }
  }

  /** Registers the handler of a method; params are validated by the descriptor's schema first. */
  handle<M extends AnyMethod>(m: M, handler: (params: ParsedParamsOf<M>) => ResultOf<M> | Promise<ResultOf<M>>): void {
    this.rpc.addMethod(m.name, async (raw: unknown) => {
      const parsed = m.params.safeParse(raw);
      if (!parsed.success) {
        const issues = parsed.error.issues.map((i) => `${i.path.join('.') || 'params'}: ${i.message}`);
        throw new OjError(ErrorCode.InvalidParams, `invalid params for ${m.name}: ${issues.join('; ')}`, {
          kind: 'invalid_params',
          issues,
        });
      }
      return handler(parsed.data as ParsedParamsOf<M>);
    });
  }

  notify<N extends Notification<string, unknown>>(n: N, payload: PayloadOf<N>): void {
    if (this.closedFlag) return;
    this.rpc.notify(n.name, payload, undefined);
  }

  onNotification<N extends Notification<string, unknown>>(n: N, listener: (payload: PayloadOf<N>) => void): void {
    this.rpc.addMethod(n.name, (payload: unknown) => {
      listener(payload as PayloadOf<N>);
      return null;
    });
  }

  /** Called once when the connection ends (with an error when it broke). */
  onClose(listener: (error?: Error) => void): () => void {
    if (this.closedFlag) {
      queueMicrotask(() => listener());
      return () => undefined;
    }
    this.closeListeners.add(listener);
    return () => this.closeListeners.delete(listener);
  }

  /** Ends the connection once queued replies are written. */
  close(): void {
    this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }

  private send(payload: unknown): void {
    if (this.closedFlag || this.socket.destroyed) return;
    if (this.socket.writableLength > this.maxBufferedBytes) {
      // A peer that does not read (a stuck viewer) must not make us buffer without bound.
      this.socket.destroy(new Error('peer is not reading; disconnected'));
      return;
    }
    this.socket.write(encodeLine(payload));
  }

  private receive(chunk: Buffer): void {
    for (const item of this.decoder.push(chunk)) {
      if (item.kind === 'overflow') {
        this.send(
          createJSONRPCErrorResponse(null, ErrorCode.LineTooLong, `line of ${item.bytes} bytes is too long`, {
            kind: 'line_too_long',
          }),
        );
        continue;
      }
      let message: unknown;
      try {
        message = JSON.parse(item.line);
      } catch {
        this.send(createJSONRPCErrorResponse(null, ErrorCode.ParseError, 'parse error: not JSON', { kind: 'parse_error' }));
        continue;
      }
      if (!isJsonRpcMessage(message)) {
        this.send(
          createJSONRPCErrorResponse(null, ErrorCode.InvalidRequest, 'invalid request: not a JSON-RPC 2.0 message', {
            kind: 'invalid_request',
          }),
        );
        continue;
      }
      this.rpc.receiveAndSend(message, undefined, undefined).catch(() => {
        /* only a failed send lands here; 'close' reports a dead socket */
      });
    }
  }

  private onClosed(error?: Error): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    this.rpc.rejectAllPendingRequests('connection closed');
    for (const listener of this.closeListeners) listener(error);
    this.closeListeners.clear();
  }
}

function toErrorResponse(id: JSONRPCID, error: unknown): JSONRPCErrorResponse {
  if (error instanceof OjError) return createJSONRPCErrorResponse(id, error.code, error.message, error.data);
  if (error instanceof JSONRPCErrorException) return createJSONRPCErrorResponse(id, error.code, error.message, error.data);
  const message = error instanceof Error ? error.message : String(error);
  return createJSONRPCErrorResponse(id, ErrorCode.InternalError, message, { kind: 'internal_error' });
}

function toOjError(error: unknown): OjError {
  if (error instanceof OjError) return error;
  if (error instanceof JSONRPCErrorException) {
    // Code 0 is json-rpc-2.0's own: pending calls rejected because the connection closed.
    if (error.code === 0) return unavailable(error.message);
    const data = isErrorData(error.data) ? error.data : { kind: ErrorKind[error.code] ?? 'error' };
    return new OjError(error.code, error.message, data);
  }
  const message = error instanceof Error ? error.message : String(error);
  return unavailable(message);
}

function unavailable(message: string): OjError {
  return new OjError(ErrorCode.Unavailable, message, { kind: 'unavailable' });
}

function isJsonRpcMessage(value: unknown): boolean {
  return isJSONRPCRequest(value) || isJSONRPCRequests(value) || isJSONRPCResponse(value) || isJSONRPCResponses(value);
}

function isErrorData(value: unknown): value is OjErrorData {
  return typeof value === 'object' && value !== null && typeof (value as { kind?: unknown }).kind === 'string';
}
