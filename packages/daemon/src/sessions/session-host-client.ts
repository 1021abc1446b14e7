/**
 * ojd's connection to one session host: typed calls through the
 * SessionHostMethods descriptors, and the host's output/exit notifications.
 * It does not reconnect; when the connection ends the supervisor decides what
 * that means (exit.json present or not).
 */
import { JsonRpcConnection, SessionHostMethods as M, openSocket, type CallArgs, type ResultOf } from '@oj/protocol';
import type { ExitRecord } from './session-files.js';

export interface SessionHostClientOptions {
  /** Deadline of each call (default 10 s). */
  callTimeoutMs?: number;
  /** Deadline of the connect itself (default 2 s). */
  connectTimeoutMs?: number;
}

/** A peer that leaves this much unread (a stuck viewer, a stuck host) is disconnected. */
export const MAX_UNREAD_BYTES = 16 * 1024 * 1024;

type AnyHostMethod = (typeof M)[
  | 'Info'
  | 'Write'
  | 'Resize'
  | 'Capture'
  | 'Kill'
  | 'Subscribe'
  | 'Shutdown'];

export class SessionHostClient {
  private readonly outputListeners = new Set<(data: string) => void>();
  private readonly exitListeners = new Set<(record: ExitRecord) => void>();

  private constructor(
    private readonly peer: JsonRpcConnection,
    readonly socketPath: string,
  ) {
    peer.onNotification(M.Output, ({ data }) => {
      for (const listener of this.outputListeners) listener(data);
    });
    peer.onNotification(M.Exit, (record) => {
      for (const listener of this.exitListeners) listener(record);
    });
  }

  /** Connects to a host socket; rejects with the socket error (ENOENT, ECONNREFUSED...) when nobody serves it. */
  static async connect(socketPath: string, options: SessionHostClientOptions = {}): Promise<SessionHostClient> {
    const socket = await openSocket(socketPath, options.connectTimeoutMs ?? 2000);
    // A host that stops reading is dropped rather than buffered for.
    const peer = new JsonRpcConnection(socket, { callTimeoutMs: options.callTimeoutMs ?? 10_000, dropOutputBytes: MAX_UNREAD_BYTES });
    return new SessionHostClient(peer, socketPath);
  }

  get closed(): boolean {
    return this.peer.closed;
  }

  call<Method extends AnyHostMethod>(m: Method, ...args: CallArgs<Method>): Promise<ResultOf<Method>> {
    return this.peer.call(m, ...args);
  }

  info(): Promise<M.HostInfo> {
    return this.peer.call(M.Info);
  }

  /** Starts the notification stream on this connection (idempotent on the host). */
  subscribe(): Promise<M.SubscribeResult> {
    return this.peer.call(M.Subscribe);
  }

  onOutput(listener: (data: string) => void): () => void {
    this.outputListeners.add(listener);
    return () => this.outputListeners.delete(listener);
  }

  onExit(listener: (record: ExitRecord) => void): () => void {
    this.exitListeners.add(listener);
    return () => this.exitListeners.delete(listener);
  }

  /** Called once when the connection ends, whoever ended it. */
  onClose(listener: (error?: Error) => void): () => void {
    return this.peer.onClose(listener);
  }

  /** Ends the connection (the host keeps running). */
  close(): void {
    this.peer.destroy();
  }
}
