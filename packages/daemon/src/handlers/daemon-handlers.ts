/** daemon.* methods. */
import { DaemonMethods, ErrorCode, OJ_VERSION, OjError, PROTOCOL_VERSION } from '@oj/protocol';
import type { DaemonContext } from './daemon-context.js';
import type { RpcRouter } from '../rpc/rpc-router.js';

export function registerDaemonHandlers(router: RpcRouter, d: DaemonContext): void {
  router.handle(DaemonMethods.Hello, (p) => {
    if (p.clientVersion !== OJ_VERSION || p.protocolVersion !== PROTOCOL_VERSION) {
      throw new OjError(
        ErrorCode.VersionMismatch,
        `the running ojd is version ${OJ_VERSION} (protocol ${PROTOCOL_VERSION}) but this oj is ${p.clientVersion} (protocol ${p.protocolVersion})`,
        {
          kind: 'version_mismatch',
          daemonVersion: OJ_VERSION,
          daemonProtocol: PROTOCOL_VERSION,
          hint: 'restart the daemon with: oj daemon restart',
        },
      );
    }
    return { daemonVersion: OJ_VERSION, protocolVersion: PROTOCOL_VERSION, pid: process.pid };
  });

  router.handle(DaemonMethods.Ping, () => ({ pong: true as const, time: new Date(d.now()).toISOString() }));

  router.handle(DaemonMethods.Status, () => d.status());

  router.handle(DaemonMethods.Stop, (p) => {
    // Answer first; stop once the response is on its way.
    setImmediate(() => void d.stop('requested over RPC', { killSessions: p?.killSessions ?? false }));
    return { pid: process.pid };
  });

  router.handle(DaemonMethods.Reload, () => ({ projects: d.reload() }));
}
