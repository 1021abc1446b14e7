/**
 * One end of a JSON-RPC 2.0 connection over a socket, one JSON text per line
 * (framing.ts). Every side of oj uses it: the CLI and the tests call ojd, ojd
 * serves them, ojd calls its session hosts and they serve it. Calls are typed
 * by the protocol's method descriptors (`conn.call(PipelineMethods.Show,
 * params)` resolves to that method's result, or rejects with an OjError);
 * notifications go both ways.
 *
 * json-rpc-2.0 does the protocol: its JSONRPCClient matches answers to calls
 * (and times them out), its JSONRPCServer runs the method table. Messages are
 * routed here rather than by JSONRPCServerAndClient.receiveAndSend, which
 * would take an object carrying both `method` and `result` for an answer (a
 * server must call it an invalid request) and run a batch's members all at
 * once with no bound on the answer. Around it, what a long-lived socket needs:
 *
 * - the line limit (a longer line is refused and skipped, never buffered),
 *   and spec errors for what is not JSON-RPC (the connection stays usable);
 * - flow control: reading pauses while `maxInFlight` requests are being
 *   answered or `pauseOutputBytes` of output is unread; writable() lets a
 *   stream wait for the peer; writeThrough() holds reading while a local
 *   output (a pipe, a pager) is full; a peer that stops reading is dropped;
 * - half-close: when the peer ends its side, its last line still counts and
 *   this side ends once every answer is out;
 * - close: calls still waiting fail with Unavailable, listeners are told once.
 */
import { createConnection, type Socket } from 'node:net';
import {
  JSONRPCClient,
  createJSONRPCErrorResponse,
  createJSONRPCRequest,
  type JSONRPCRequest,
  type JSONRPCResponse,
  type JSONRPCServer,
} from 'json-rpc-2.0';
import { ErrorCode } from '../errors.js';
import { LineDecoder, encodeLine, type DecodedItem } from '../framing.js';
import { MAX_BATCH_ANSWER_BYTES, MAX_LINE_BYTES } from '../limits.js';
import type { AnyMethod, Notification, ParamsOf, PayloadOf, ResultOf } from '../rpc.js';
import type { ConnectionLog, JsonRpcConnectionOptions } from './connection-options.js';
import { answerBatch, createMethodTable, validatedMethod, type MethodHandler } from './method-table.js';
import { checkRequestShape, nestsDeeperThan } from './request-checks.js';
import { Outbox } from './outbox.js';
import {
  invalidRequest,
  lineTooLongResponse,
  ojErrorOf,
  parseErrorResponse,
  requestTooLong,
  tooDeepResponse,
  unavailableData,
  withErrorData,
} from './rpc-errors.js';

/** Params may be left out of a call when the method's schema accepts undefined. */
export type CallArgs<M extends AnyMethod> = undefined extends ParamsOf<M> ? [params?: ParamsOf<M>] : [params: ParamsOf<M>];

export class JsonRpcConnection<Ctx = void> {
  private readonly server: JSONRPCServer<Ctx>;
  private readonly client: JSONRPCClient<void>;
  private readonly context: Ctx;
  private readonly decoder: LineDecoder;
  private readonly outbox: Outbox;
  private readonly log: ConnectionLog;
  private readonly limits: Required<
    Pick<JsonRpcConnectionOptions<Ctx>, 'maxLineBytes' | 'maxRequestBytes' | 'maxDepth' | 'maxInFlight' | 'pauseOutputBytes' | 'maxBatchAnswerBytes'>
  >;
  private readonly options: JsonRpcConnectionOptions<Ctx>;
  /** Ids of this side's calls still waiting for their answer. */
  private readonly waiting = new Set<number>();
  private nextId = 1;
  /** Lines read but not yet handled: reading pauses while any wait, so this holds at most one chunk's worth. */
  private queue: DecodedItem[] = [];
  private next = 0;
  private inFlightCount = 0;
  private inputEnded = false;
  /** writeThrough() holds reading until its output drains. */
  private readHeld = false;
  private drainWaiters: (() => void)[] = [];
  private readonly closeListeners = new Set<(error?: Error) => void>();
  private closedFlag = false;
  private socketError: Error | undefined;
  private lastRead = Date.now();

  constructor(
    readonly socket: Socket,
    options: JsonRpcConnectionOptions<Ctx> = {},
  ) {
    this.options = options;
    this.log = options.log ?? (() => undefined);
    this.limits = {
      maxLineBytes: options.maxLineBytes ?? MAX_LINE_BYTES,
      maxRequestBytes: options.maxRequestBytes ?? MAX_LINE_BYTES,
      maxDepth: options.maxDepth ?? Infinity,
      maxInFlight: options.maxInFlight ?? Infinity,
      pauseOutputBytes: options.pauseOutputBytes ?? Infinity,
      maxBatchAnswerBytes: options.maxBatchAnswerBytes ?? MAX_BATCH_ANSWER_BYTES,
    };
    this.decoder = new LineDecoder(this.limits.maxLineBytes);
    this.server = options.server ?? createMethodTable<Ctx>(this.log);
    this.context = options.context as Ctx;
    this.client = new JSONRPCClient<void>((payload: unknown) => this.send(payload));
    this.outbox = new Outbox(socket, {
      beforeOutput: options.beforeOutput ?? (() => undefined),
      dropBytes: options.dropOutputBytes ?? Infinity,
      log: this.log,
      wrote: this.flowControl,
    });
    socket.on('data', (chunk: Buffer) => {
      this.lastRead = Date.now();
      for (const item of this.decoder.push(chunk)) this.queue.push(item);
      this.flowControl();
    });
    socket.on('end', () => {
      this.inputEnded = true;
      for (const item of this.decoder.end()) this.queue.push(item);
      this.flowControl();
      this.endWhenDone();
    });
    socket.on('drain', this.flowControl);
    socket.on('error', (err) => {
      this.socketError ??= err;
      this.log('debug', 'connection error', { error: err.message });
    });
    socket.on('close', () => this.onClosed());
  }

  /** Connects to a Unix socket; rejects with the socket error (ENOENT, ECONNREFUSED...) if nobody listens. */
  static async connect(path: string, options: JsonRpcConnectionOptions<void> = {}): Promise<JsonRpcConnection> {
    return new JsonRpcConnection(await openSocket(path), options);
  }

  // ---- calling ----

  /** Calls a method; resolves to its result, rejects with an OjError (the answer's, Timeout, Unavailable, LineTooLong). */
  call<M extends AnyMethod>(method: M, ...args: CallArgs<M>): Promise<ResultOf<M>> {
    return this.callWithTimeout(method, this.options.callTimeoutMs, ...args);
  }

  async callWithTimeout<M extends AnyMethod>(method: M, timeoutMs: number | undefined, ...args: CallArgs<M>): Promise<ResultOf<M>> {
    const id = this.nextId++;
    const request = createJSONRPCRequest(id, method.name, args[0]);
    this.waiting.add(id);
    try {
      const response =
        timeoutMs === undefined
          ? await this.client.requestAdvanced(request, undefined)
          : await this.client
              .timeout(timeoutMs, (rid) =>
                createJSONRPCErrorResponse(rid, ErrorCode.Timeout, `${method.name} timed out after ${timeoutMs} ms`, { kind: 'timeout' }),
              )
              .requestAdvanced(request, undefined);
      if (response.error) throw ojErrorOf(response.error);
      return response.result as ResultOf<M>;
    } finally {
      this.waiting.delete(id);
    }
  }

  /**
   * Sends a notification (dropped once the connection has closed). Written
   * straight out: json-rpc-2.0's notify() carries each message through a
   * promise chain, which for 300 MB of streamed output cost ojd ~70 MB more
   * resident memory (test/output-backpressure.e2e.test.ts).
   */
  notify<N extends Notification<string, unknown>>(n: N, payload: PayloadOf<N>): void {
    if (this.closedFlag) return;
    this.send({ jsonrpc: '2.0', method: n.name, params: payload });
  }

  // ---- answering ----

  /** Registers the handler of a method on this connection's table; params are validated by the descriptor's schema first. */
  handle<M extends AnyMethod>(method: M, handler: MethodHandler<M, Ctx>): void {
    this.server.addMethod(method.name, validatedMethod(method, handler));
  }

  /** Runs `listener` for each notification `n` the peer sends (one listener per name; a later one replaces it). */
  onNotification<N extends Notification<string, unknown>>(n: N, listener: (payload: PayloadOf<N>) => void): void {
    this.server.addMethod(n.name, (payload: unknown) => {
      listener(payload as PayloadOf<N>);
      return null;
    });
  }

  // ---- flow ----

  /** Incoming requests (batch members included) being answered now. */
  get inFlight(): number {
    return this.inFlightCount;
  }

  /** When this connection last read or wrote anything (ms since the epoch). */
  get lastActive(): number {
    return Math.max(this.lastRead, this.outbox.lastWrite);
  }

  /** Whether writable() would wait now (the peer has much unread). */
  get blocked(): boolean {
    return !this.closedFlag && this.outbox.unread > this.limits.pauseOutputBytes;
  }

  /** Resolves once the peer has read enough for more to go (at once when little waits, also when the connection closes). */
  writable(): Promise<void> {
    if (!this.blocked) return Promise.resolve();
    return new Promise<void>((resolve) => this.drainWaiters.push(resolve));
  }

  /**
   * Writes streamed output to `out`; when `out` cannot take it as fast (a
   * pager, a slow pipe), stops reading from the peer until it drains, so the
   * peer's flow control holds the output back instead of this process
   * buffering it.
   */
  writeThrough(out: NodeJS.WritableStream, data: string): void {
    if (out.write(data) || this.readHeld) return;
    this.readHeld = true;
    this.socket.pause();
    out.once('drain', () => {
      this.readHeld = false;
      this.flowControl();
    });
  }

  // ---- closing ----

  get closed(): boolean {
    return this.closedFlag;
  }

  /** Calls `listener` once when the connection ends (with the socket's error when it broke); returns an unsubscribe. */
  onClose(listener: (error?: Error) => void): () => void {
    if (this.closedFlag) {
      queueMicrotask(() => listener(this.socketError));
      return () => undefined;
    }
    this.closeListeners.add(listener);
    return () => this.closeListeners.delete(listener);
  }

  /** Ends this side once the output already given is written; answers to calls still come in. */
  end(): void {
    this.outbox.whenWritten(() => this.socket.end());
  }

  /** Writes the output already given, then closes at once. */
  close(): void {
    this.outbox.whenWritten(() => {
      this.socket.end();
      this.socket.destroy();
    });
  }

  destroy(): void {
    this.socket.destroy();
  }

  // ---- inside ----

  private readonly flowControl = (): void => {
    this.wakeWriters();
    if (this.closedFlag || this.socket.destroyed) return;
    while (this.next < this.queue.length && !this.readBlocked()) this.dispatch(this.queue[this.next++]!);
    if (this.next >= this.queue.length) {
      this.queue = [];
      this.next = 0;
    }
    if (this.next < this.queue.length || this.readBlocked() || this.readHeld) this.socket.pause();
    else if (this.socket.isPaused()) this.socket.resume();
  };

  private readBlocked(): boolean {
    return this.inFlightCount >= this.limits.maxInFlight || this.outbox.unread > this.limits.pauseOutputBytes;
  }

  private wakeWriters(): void {
    if (this.drainWaiters.length === 0 || this.blocked) return;
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const w of waiters) w();
  }

  private dispatch(item: DecodedItem): void {
    if (item.kind === 'overflow') {
      this.send(lineTooLongResponse(this.limits.maxLineBytes));
      return;
    }
    if (this.limits.maxDepth !== Infinity && nestsDeeperThan(item.line, this.limits.maxDepth)) {
      this.send(tooDeepResponse(this.limits.maxDepth));
      return;
    }
    let message: unknown;
    try {
      message = JSON.parse(item.line);
    } catch (err) {
      this.send(parseErrorResponse(err));
      return;
    }
    if (!this.options.answersOnly && isResponses(message)) {
      this.receiveAnswers(message);
      return;
    }
    // A batch counts as many requests as it holds, so a batch cannot get round the in-flight limit.
    const weight = Array.isArray(message) ? Math.max(1, message.length) : 1;
    this.inFlightCount += weight;
    const done = () => {
      this.inFlightCount -= weight;
      this.flowControl();
      this.endWhenDone();
    };
    this.serve(message).then(done, (err: unknown) => {
      this.log('error', 'request handling failed', { error: String(err) });
      done();
    });
  }

  private async serve(message: unknown): Promise<void> {
    const answer = Array.isArray(message)
      ? await answerBatch(message, (m) => this.answerOne(m), this.limits.maxBatchAnswerBytes)
      : await this.answerOne(message);
    if (answer !== null) this.send(answer);
  }

  private answerOne(message: unknown): PromiseLike<JSONRPCResponse | null> {
    const shape = checkRequestShape(message);
    if (!shape.ok) return Promise.resolve(invalidRequest(shape.id, shape.reason));
    return this.server.receive(message as JSONRPCRequest, this.context);
  }

  private receiveAnswers(message: JSONRPCResponse | JSONRPCResponse[]): void {
    for (const r of Array.isArray(message) ? message : [message]) {
      if (r.id === null && r.error) {
        // The peer could not tell which call this answers (a line it refused before
        // reading an id): every call still waiting gets the error, none hangs.
        for (const id of this.waiting) this.client.receive({ ...r, id });
      } else {
        this.client.receive(r);
      }
    }
  }

  /** Everything written goes through here: answers, notifications, and this side's calls. */
  private send(payload: unknown): void {
    const call = outgoingCall(payload);
    if (call && this.closedFlag) {
      this.client.receive(createJSONRPCErrorResponse(call.id, ErrorCode.Unavailable, this.closedText(), unavailableData(this.options.closedHint)));
      return;
    }
    if (this.closedFlag || this.socket.destroyed) return;
    let line: string;
    try {
      line = encodeLine(call ? payload : withErrorData(payload));
    } catch (err) {
      if (call) this.client.receive(createJSONRPCErrorResponse(call.id, ErrorCode.InvalidParams, `cannot send ${call.method}: ${String(err)}`));
      else this.log('error', 'message not sent: not JSON', { error: String(err) });
      return;
    }
    // A UTF-16 unit is at most 3 bytes of UTF-8: most lines need no count.
    if (call && (line.length - 1) * 3 > this.limits.maxRequestBytes) {
      const bytes = Buffer.byteLength(line) - 1;
      if (bytes > this.limits.maxRequestBytes) {
        this.client.receive(requestTooLong(call.id, call.method, bytes, this.limits.maxRequestBytes, this.options.peerName ?? 'the peer'));
        return;
      }
    }
    this.outbox.push(line);
  }

  /** The client ended its side: once every answer is written, this side ends too. */
  private endWhenDone(): void {
    if (!this.inputEnded || this.inFlightCount > 0 || this.next < this.queue.length || this.closedFlag || this.socket.destroyed) return;
    this.end();
  }

  private onClosed(): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    const message = this.closedText();
    for (const id of [...this.waiting]) {
      this.client.receive(createJSONRPCErrorResponse(id, ErrorCode.Unavailable, message, unavailableData(this.options.closedHint)));
    }
    this.wakeWriters();
    for (const listener of [...this.closeListeners]) {
      try {
        listener(this.socketError);
      } catch (err) {
        this.log('warn', 'connection close callback failed', { error: String(err) });
      }
    }
    this.closeListeners.clear();
  }

  private closedText(): string {
    const text = this.options.closedMessage ?? 'connection closed';
    return this.socketError ? `${text}: ${this.socketError.message}` : text;
  }
}

/** The calls this side sends carry a numeric id (notifications none, answers no `method`). */
function outgoingCall(payload: unknown): { id: number; method: string } | null {
  const p = payload as { id?: unknown; method?: unknown };
  return typeof p === 'object' && p !== null && typeof p.method === 'string' && typeof p.id === 'number' ? { id: p.id, method: p.method } : null;
}

function isResponse(value: unknown): value is JSONRPCResponse {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const v = value as Record<string, unknown>;
  return v.jsonrpc === '2.0' && !('method' in v) && 'id' in v && ('result' in v || 'error' in v);
}

function isResponses(value: unknown): value is JSONRPCResponse | JSONRPCResponse[] {
  return Array.isArray(value) ? value.length > 0 && value.every(isResponse) : isResponse(value);
}

/** Opens a Unix socket; rejects with the socket error, or a Timeout OjError after `timeoutMs` when given. */
export function openSocket(path: string, timeoutMs?: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(path);
    const timer =
      timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            socket.destroy();
            reject(ojErrorOf({ code: ErrorCode.Timeout, message: `connect to ${path} timed out after ${timeoutMs} ms`, data: { kind: 'timeout' } }));
          }, timeoutMs);
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socket);
    });
  });
}
