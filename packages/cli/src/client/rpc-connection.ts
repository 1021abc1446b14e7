/**
 * oj's connection to ojd: the protocol's JsonRpcConnection (typed calls
 * through the method descriptors, notifications, writeThrough), with the
 * version handshake sent before the first call (pipelined, no extra wait).
 * Answers may be any size (a full listing); requests are held to the
 * daemon's line limit and refused here before they are sent.
 */
import {
  DaemonMethods,
  JsonRpcConnection,
  OJ_VERSION,
  PROTOCOL_VERSION,
  openSocket,
  type AnyMethod,
  type CallArgs,
  type ResultOf,
} from '@oj/protocol/client';

export class RpcConnection extends JsonRpcConnection {
  private hello: Promise<unknown> | null = null;

  /** Connects; rejects with the socket error (ENOENT, ECONNREFUSED...) if nobody listens. */
  static override async connect(path: string): Promise<RpcConnection> {
    return new RpcConnection(await openSocket(path), {
      maxLineBytes: Number.MAX_SAFE_INTEGER,
      peerName: 'the daemon',
      closedMessage: 'connection to ojd closed',
      closedHint: 'the daemon went away; see: oj daemon logs',
    });
  }

  override async callWithTimeout<M extends AnyMethod>(method: M, timeoutMs: number | undefined, ...args: CallArgs<M>): Promise<ResultOf<M>> {
    this.hello ??= super.callWithTimeout(DaemonMethods.Hello, undefined, { clientVersion: OJ_VERSION, protocolVersion: PROTOCOL_VERSION });
    const [, result] = await Promise.all([this.hello, super.callWithTimeout(method, timeoutMs, ...args)]);
    return result;
  }
}
