/**
 * The daemon's one method table (json-rpc-2.0's JSONRPCServer, shared by
 * every connection, each passing its ConnectionContext). Params are validated
 * against the method's declared schema (-32602 with the issues in `data`);
 * domain errors (OjError) become their own codes; a full disk met outside a
 * database write (a file the request writes) is DiskFull like one met inside;
 * anything else is an internal error (-32603), logged with its stack.
 */
import { createMethodTable, validatedMethod, type AnyMethod, type MethodHandler } from '@oj/protocol';
import type { JSONRPCServer } from 'json-rpc-2.0';
import type { Logger } from 'winston';
import { diskFullError, isDiskFull } from '../storage/disk-full.js';
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

  handle<M extends AnyMethod>(method: M, handler: Handler<M>): void {
    if (this.names.has(method.name)) throw new Error(`method registered twice: ${method.name}`);
    this.names.add(method.name);
    this.server.addMethod(method.name, validatedMethod(method, handler));
  }

  registered(): string[] {
    return [...this.names];
  }
}
