/**
 * The answering side: a json-rpc-2.0 method table with oj's rules.
 *
 * - An unknown method is -32601 naming it; a domain error (OjError) keeps its
 *   code and data; anything else is an internal error (-32603), logged with
 *   its stack.
 * - A method's params are validated against its descriptor's schema first
 *   (-32602 with the issues in `data`); a handler that returns nothing
 *   answers `null` (a result is never left out).
 * - A batch (section 6) is answered as an array in the order given,
 *   notifications left out; nothing at all when only notifications remain;
 *   an empty batch is one -32600, not an array. Members run one after
 *   another, and the answer is held to a size: once it is reached, the
 *   members left are not run and get an error each (a batch of huge answers
 *   cannot make a server build gigabytes in memory).
 */
import { JSONRPCErrorException, JSONRPCServer, createJSONRPCErrorResponse, type JSONRPCResponse } from 'json-rpc-2.0';
import { ErrorCode, OjError } from '../errors.js';
import type { AnyMethod, ParsedParamsOf, ResultOf } from '../rpc.js';
import type { ConnectionLog } from './connection-options.js';
import { checkRequestShape, type RequestId } from './request-checks.js';
import { batchTooLarge, errorResponseFor, invalidRequest } from './rpc-errors.js';

/**
 * `translate`: the serving side's own reading of an error a handler threw (ojd
 * answers a full disk with its own code), or null to leave it to the rules above.
 */
export function createMethodTable<Ctx>(log: ConnectionLog, notFoundHint?: string, translate?: (error: unknown) => OjError | null): JSONRPCServer<Ctx> {
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
    errorResponseFor(id, translate?.(error) ?? error, (internal) =>
      log('error', 'internal error', { error: internal instanceof Error ? (internal.stack ?? internal.message) : String(internal) }),
    );
  return server;
}

export type MethodHandler<M extends AnyMethod, Ctx> = (params: ParsedParamsOf<M>, ctx: Ctx) => ResultOf<M> | Promise<ResultOf<M>>;

/** A handler as the table registers it (server.addMethod(method.name, validatedMethod(method, handler))). */
export function validatedMethod<M extends AnyMethod, Ctx>(method: M, handler: MethodHandler<M, Ctx>): (raw: unknown, ctx: Ctx) => Promise<unknown> {
  return async (raw, ctx) => {
    const parsed = method.params.safeParse(raw ?? undefined);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message }));
      const first = issues[0];
      throw new JSONRPCErrorException(
        `invalid params for ${method.name}: ${first ? (first.path ? first.path + ': ' : '') + first.message : 'bad shape'}`,
        ErrorCode.InvalidParams,
        { kind: 'invalid_params', method: method.name, issues },
      );
    }
    try {
      const result = await handler(parsed.data as ParsedParamsOf<M>, ctx);
      return result ?? null;
    } catch (err) {
      if (err instanceof OjError) throw new JSONRPCErrorException(err.message, err.code, err.data);
      throw err;
    }
  };
}

/** The answer to a batch, members run in order by `answerOne`, held to `maxBytes`. */
export async function answerBatch(
  members: unknown[],
  answerOne: (member: unknown) => PromiseLike<JSONRPCResponse | null>,
  maxBytes: number,
): Promise<JSONRPCResponse | JSONRPCResponse[] | null> {
  if (members.length === 0) return invalidRequest(null, 'an empty batch');
  const sent: JSONRPCResponse[] = [];
  let bytes = 0;
  for (const member of members) {
    if (bytes > maxBytes) {
      const shape = checkRequestShape(member);
      if (!shape.ok) sent.push(invalidRequest(shape.id, shape.reason));
      else if ('id' in (member as object)) sent.push(batchTooLarge((member as { id: RequestId }).id, bytes, maxBytes));
      continue;
    }
    const a = await answerOne(member);
    if (a === null) continue;
    bytes += JSON.stringify(a).length;
    sent.push(a);
  }
  return sent.length ? sent : null;
}
