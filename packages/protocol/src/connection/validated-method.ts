/**
 * A method handler as json-rpc-2.0 registers it: params are validated against
 * the descriptor's schema first (-32602 with the issues in `data`), domain
 * errors (OjError) keep their code and data, and a handler that returns
 * nothing answers `null` (a result is never left out).
 */
import { JSONRPCErrorException } from 'json-rpc-2.0';
import { ErrorCode, OjError } from '../errors.js';
import type { AnyMethod, ParsedParamsOf, ResultOf } from '../rpc.js';

export type MethodHandler<M extends AnyMethod, Ctx> = (params: ParsedParamsOf<M>, ctx: Ctx) => ResultOf<M> | Promise<ResultOf<M>>;

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
