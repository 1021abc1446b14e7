/**
 * The dashboard process (`oj ui --foreground`; `oj ui` starts it detached):
 * the HTTP server, then the link to ojd, which registers it on every
 * connection. It stops when asked (`oj ui --stop`: a `ui.shutdown` from
 * ojd; SIGTERM, SIGINT) or when ojd has been gone for `orphanMs`.
 */
import { UiMethods } from '@oj/protocol/client';
import type { DaemonLocation } from '../client/daemon-launcher.js';
import { DaemonLink } from './daemon-link.js';
import { startServer, type DashboardServer } from './server.js';

export interface ServeOptions {
  port: number;
  location: DaemonLocation;
  /** How long ojd may stay away (a restart) before the dashboard gives up. */
  orphanMs: number;
  /** Told the address to open (with its token) once it is registered. */
  ready(link: string): void;
}

export async function serveDashboard(o: ServeOptions): Promise<number> {
  const log = (message: string) => process.stderr.write(`${new Date().toISOString()} oj ui[${process.pid}]: ${message}\n`);
  let finish: (code: number) => void = () => {};
  const done = new Promise<number>((resolve) => (finish = resolve));
  let server: DashboardServer | null = null;
  const link = new DaemonLink({
    location: o.location,
    orphanMs: o.orphanMs,
    log,
    onGone: (reason) => {
      log(`stopping: ${reason}`);
      finish(1);
    },
    onConnect: async (conn) => {
      conn.onNotification(UiMethods.Shutdown, ({ reason }) => {
        log(`stopping: asked by ${reason}`);
        finish(0);
      });
      if (!server) throw new Error('the server is not listening yet');
      await conn.call(UiMethods.Register, { port: server.port, pid: process.pid, token: server.token });
    },
  });
  server = await startServer({ port: o.port, link, log });
  try {
    await link.start();
  } catch (err) {
    await server.close();
    throw err;
  }
  const onSignal = (sig: NodeJS.Signals) => {
    log(`stopping: ${sig}`);
    finish(0);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  log(`listening on http://127.0.0.1:${server.port}/`);
  o.ready(`http://127.0.0.1:${server.port}/?token=${server.token}`);
  const code = await done;
  process.off('SIGTERM', onSignal);
  process.off('SIGINT', onSignal);
  link.close();
  await server.close();
  return code;
}
