/**
 * Typed descriptors for RPC methods and notifications. A method's name, the
 * shape of its params (a zod schema, validated by the daemon) and the type of
 * its result live in exactly one descriptor; the client calls with it and the
 * server registers with it.
 *
 * A descriptor takes its schema as a function and builds it the first time
 * `params` is read (then keeps it): importing the protocol builds no schema,
 * and a process holds only those of the methods it validates.
 */
import type { z } from 'zod';
import { once } from './once.js';

export interface Method<Name extends string, ParamsSchema extends z.ZodType, Result> {
  readonly kind: 'method';
  readonly name: Name;
  readonly params: ParamsSchema;
  readonly summary: string;
  /** Phantom: carries the result type only. */
  readonly _result?: Result;
}

export interface Notification<Name extends string, Payload> {
  readonly kind: 'notification';
  readonly name: Name;
  readonly summary: string;
  readonly _payload?: Payload;
}

export type ParamsOf<M> = M extends Method<string, infer S, unknown> ? z.input<S> : never;
export type ParsedParamsOf<M> = M extends Method<string, infer S, unknown> ? z.output<S> : never;
export type ResultOf<M> = M extends Method<string, z.ZodType, infer R> ? R : never;
export type PayloadOf<N> = N extends Notification<string, infer P> ? P : never;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyMethod = Method<string, z.ZodType, any>;

export function method<Result>() {
  return <Name extends string, S extends z.ZodType>(name: Name, buildParams: () => S, summary: string): Method<Name, S, Result> => {
    const params = once(buildParams);
    return {
      kind: 'method',
      name,
      get params() {
        return params();
      },
      summary,
    };
  };
}

export function notification<Payload>() {
  return <Name extends string>(name: Name, summary: string): Notification<Name, Payload> => ({
    kind: 'notification',
    name,
    summary,
  });
}
