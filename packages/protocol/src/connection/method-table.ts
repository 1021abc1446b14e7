/**
 * A json-rpc-2.0 method table with oj's error mapping: an unknown method is
 * -32601 naming it, a domain error keeps its code and data, anything else is
 * an internal error (-32603), logged with its stack.
 */
import { JSONRPCServer, createJSONRPCErrorResponse } from 'json-rpc-2.0';
import { ErrorCode } from '../errors.js';
import type { ConnectionLog } from './connection-options.js';
import { errorResponseFor } from './rpc-errors.js';

export function createMethodTable<Ctx>(log: ConnectionLog, notFoundHint?: string): JSONRPCServer<Ctx> {
  const server = new JSONRPCServer<Ctx>({ errorListener: (message, data) => log('debug', message, { error: String(data) }) });
  server.handleMethodNotFound = (request) =>
    Promise.resolve(
      request.id === undefined
        ? null
        : createJSONRPCErrorResponse(request.id, ErrorCode.MethodNotFound, `method not found: ${request.method}`, {
            kind: 'method_not_found',
            method: request.method,
            ...(notFoundHint !== undefined ? { hint: notFoundHint } : {}),
          }),
    );
  server.mapErrorToJSONRPCErrorResponse = (id, error: unknown) =>
    errorResponseFor(id, error, (internal) =>
      log('error', 'internal error', { error: internal instanceof Error ? (internal.stack ?? internal.message) : String(internal) }),
    );
  return server;
}
