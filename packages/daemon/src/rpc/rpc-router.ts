/**
 * Registers typed handlers on a json-rpc-2.0 server. Params are validated
 * against the method's declared schema (-32602 with the issues in `data`);
 * domain errors (OjError) become their own codes; a full disk met outside a
 * database write (a file the request writes) is DiskFull like one met inside;
 * anything else is an internal error (-32603), logged with its stack.
 */
import {
  ErrorCode,
  ErrorKind,
  OjError,
  type AnyMethod,
  type ParsedParamsOf,
  type ResultOf,
} from '@oj/protocol';
import { JSONRPCErrorException, JSONRPCServer, createJSONRPCErrorResponse } from 'json-rpc-2.0';
import type { Logger } from 'winston';
import { diskFullError, isDiskFull } from '../storage/disk-full.js';
import type { ConnectionContext } from './connection-context.js';

export type Handler<M extends AnyMethod> = (
  params: ParsedParamsOf<M>,
  ctx: ConnectionContext,
) => ResultOf<M> | Promise<ResultOf<M>>;

export class RpcRouter {
  readonly server: JSONRPCServer<ConnectionContext>;
  private readonly names = new Set<string>();

  constructor(private readonly logger: Logger) {
    this.server = new JSONRPCServer<ConnectionContext>({
      errorListener: (message, data) => this.logger.debug(message, { error: String(data) }),
    });
    this.server.handleMethodNotFound = async (request) =>
      request.id === undefined
        ? null
        : createJSONRPCErrorResponse(request.id, ErrorCode.MethodNotFound, `method not found: ${request.method}`, {
            kind: 'method_not_found',
            method: request.method,
            hint: 'docs/rpc.md lists every method',
          });
    this.server.mapErrorToJSONRPCErrorResponse = (id, error: unknown) => {
      if (error instanceof JSONRPCErrorException) return createJSONRPCErrorResponse(id, error.code, error.message, error.data);
      if (isDiskFull(error)) {
        const path = (error as { path?: unknown }).path;
        const full = diskFullError(error, typeof path === 'string' ? path : null, false);
        this.logger.warn('request failed: disk full', { error: messageOf(error) });
        return createJSONRPCErrorResponse(id, full.code, full.message, full.data);
      }
      this.logger.error('internal error', { error: errorText(error) });
      return createJSONRPCErrorResponse(id, ErrorCode.InternalError, 'internal error: ' + messageOf(error), {
        kind: 'internal_error',
      });
    };
  }

  handle<M extends AnyMethod>(method: M, handler: Handler<M>): void {
    if (this.names.has(method.name)) throw new Error(`method registered twice: ${method.name}`);
    this.names.add(method.name);
    this.server.addMethod(method.name, async (raw: unknown, ctx: ConnectionContext) => {
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
    });
  }

  /** Gives spec errors produced by json-rpc-2.0 itself the `data.kind` every oj error has. */
  static withErrorData<T>(response: T): T {
    const fix = (r: unknown) => {
      const err = (r as { error?: { code: number; data?: unknown } }).error;
      if (err && err.data === undefined) err.data = { kind: ErrorKind[err.code] ?? 'error' };
    };
    if (Array.isArray(response)) response.forEach(fix);
    else fix(response);
    return response;
  }

  registered(): string[] {
    return [...this.names];
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
function errorText(err: unknown): string {
  return err instanceof Error ? (err.stack ?? err.message) : String(err);
}
