/**
 * Calls the daemon's own RPC methods in process, with the same validation
 * and the same handlers the CLI reaches over the socket. Built-in monitor
 * actions use it to requeue, release, kill... exactly as `oj` would, without
 * reaching into other capabilities' internals.
 */
import { OjError, type AnyMethod, type ParamsOf, type ResultOf } from '@oj/protocol';
import type { ConnectionContext } from '../rpc/connection-context.js';
import type { RpcRouter } from '../rpc/rpc-router.js';

export type LocalCall = <M extends AnyMethod>(method: M, params: ParamsOf<M>) => Promise<ResultOf<M>>;

export function localCaller(router: RpcRouter): LocalCall {
  let next = 1;
  const conn: ConnectionContext = { id: 0, notify: () => {}, onClose: () => {}, closed: false, writable: () => Promise.resolve(), blocked: false };
  return async (method, params) => {
    const id = next++;
    const response = await router.server.receive({ jsonrpc: '2.0', id, method: method.name, params: params as never }, conn);
    if (!response) throw new Error(`${method.name}: no response`);
    if (response.error) {
      const data = (response.error.data ?? { kind: 'error' }) as { kind: string };
      throw new OjError(response.error.code, response.error.message, data as never);
    }
    return response.result as ResultOf<typeof method>;
  };
}
