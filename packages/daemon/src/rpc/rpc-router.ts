/**
 * The daemon's one method table (json-rpc-2.0's JSONRPCServer, shared by
 * every connection, each passing its ConnectionContext). Params are validated
 * against the method's declared schema (-32602 with the issues in `data`);
 * domain errors (OjError) become their own codes; a full disk met outside a
 * database write (a file the request writes) is DiskFull like one met inside;
 * anything else is an internal error (-32603), logged with its stack. A
 * request that made shared commits is answered once they are durable.
 */
import { createMethodTable, validatedMethod, type AnyMethod, type MethodHandler } from '@oj/protocol';
import type { JSONRPCServer } from 'json-rpc-2.0';
import type { Logger } from 'winston';
import { diskFullError, isDiskFull } from '../storage/disk-full.js';
import { inRequest } from '../storage/request-scope.js';
import type { ConnectionContext } from './connection-context.js';

export type Handler<M extends AnyMethod> = MethodHandler<M, ConnectionContext>;

export class RpcRouter {
  readonly server: JSONRPCServer<ConnectionContext>;
  private readonly names = new Set<string>();

  constructor(logger: Logger) {
    this.server = createMethodTable<ConnectionContext>(
      (level, message, fields) => logger[level](message, fields),
      'docs/rpc.md lists every method',
      // A full disk is the user's to fix, with its own code: never an internal error.
      (error) => {
        if (!isDiskFull(error)) return null;
        logger.warn('request failed: disk full', { error: error instanceof Error ? error.message : String(error) });
        const path = (error as { path?: unknown }).path;
        return diskFullError(error, typeof path === 'string' ? path : null, false);
      },
    );
  }

  /**
   * What makes a request's shared commits durable before its answer leaves
   * (group commit on PostgreSQL: SharedStore.makeDurable); set once the
   * shared store is open.
   */
  durable: (() => Promise<void>) | null = null;

  /** Told of every request a handler takes (a measure of how busy the daemon is: main/v8-compilers.ts). */
  onRequest: (() => void) | null = null;

  handle<M extends AnyMethod>(method: M, handler: Handler<M>): void {
    if (this.names.has(method.name)) throw new Error(`method registered twice: ${method.name}`);
    this.names.add(method.name);
    this.server.addMethod(method.name, validatedMethod(method, this.durably(handler)));
  }

  /** Runs the handler in a request scope; if it made shared commits, the answer waits until they are durable. */
  private durably<M extends AnyMethod>(handler: Handler<M>): Handler<M> {
    return async (params, ctx) => {
      this.onRequest?.();
      const { result, sharedCommit } = await inRequest(() => handler(params, ctx));
      if (sharedCommit && this.durable) await this.durable();
      return result;
    };
  }

  registered(): string[] {
    return [...this.names];
  }
}
