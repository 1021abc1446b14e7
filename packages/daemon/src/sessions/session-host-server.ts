/**
 * The socket side of a session host: listens on host.sock (0600) and serves
 * the SessionHostMethods to any number of connections. Each connection may
 * subscribe to the output and exit stream (several viewers at once).
 */
import { chmodSync, unlinkSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { JsonRpcConnection, SessionHostMethods as M } from '@oj/protocol';
import { MAX_UNREAD_BYTES } from './session-host-client.js';
import type { SessionHost } from './session-host.js';
import { isNotFound } from './session-files.js';

export interface SessionHostServerOptions {
  /** Called after a `host.shutdown` was answered; the owner ends the process. */
  onShutdownRequested: () => void;
  /** How long `host.shutdown` waits for a killed command to exit. */
  shutdownKillWaitMs?: number;
}

export class SessionHostServer {
  private readonly peers = new Set<JsonRpcConnection>();
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly host: SessionHost,
    private readonly server: Server,
    private readonly socketPath: string,
    private readonly options: SessionHostServerOptions,
  ) {
    server.on('connection', (socket) => this.accept(socket));
  }

  static async listen(host: SessionHost, socketPath: string, options: SessionHostServerOptions): Promise<SessionHostServer> {
    await removeStaleSocket(socketPath);
    const server = createServer();
    const previousUmask = process.umask(0o177);
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(socketPath, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } finally {
      process.umask(previousUmask);
    }
    chmodSync(socketPath, 0o600);
    return new SessionHostServer(host, server, socketPath, options);
  }

  get connections(): number {
    return this.peers.size;
  }

  /** Stops accepting, ends every connection (letting queued replies out) and removes the socket. Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.doClose();
    return this.closing;
  }

  private async doClose(): Promise<void> {
    const serverClosed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    try {
      unlinkSync(this.socketPath);
    } catch {
      /* already gone */
    }
    await Promise.all(
      [...this.peers].map(
        (peer) =>
          new Promise<void>((resolve) => {
            const timer = setTimeout(() => {
              peer.destroy();
              resolve();
            }, 500);
            peer.onClose(() => {
              clearTimeout(timer);
              resolve();
            });
            peer.end();
          }),
      ),
    );
    await serverClosed;
  }

  private accept(socket: Socket): void {
    if (this.closing) {
      socket.destroy();
      return;
    }
    const peer = new JsonRpcConnection(socket, { dropOutputBytes: MAX_UNREAD_BYTES });
    this.peers.add(peer);
    const unsubscribe: Array<() => void> = [];
    peer.onClose(() => {
      this.peers.delete(peer);
      for (const off of unsubscribe) off();
    });

    const host = this.host;
    peer.handle(M.Info, () => host.info());
    peer.handle(M.Write, ({ data }) => ({ bytes: host.write(data) }));
    peer.handle(M.Resize, ({ cols, rows }) => {
      host.resize(cols, rows);
      return { cols, rows };
    });
    // The visible screen comes with its cursor (what an attach needs); scrollback without.
    peer.handle(M.Capture, async (params) => (params?.lines !== undefined ? { text: await host.capture(params.lines) } : host.snapshot()));
    peer.handle(M.Kill, (params) => ({ delivered: host.kill(params?.signal ?? 'SIGTERM') }));
    peer.handle(M.Subscribe, () => {
      if (unsubscribe.length === 0) {
        // Output between this handler and its reply cannot slip in: pty data
        // arrives in a later macrotask, the reply goes out in microtasks.
        unsubscribe.push(host.onOutput((data) => peer.notify(M.Output, { data })));
        unsubscribe.push(host.onExit((record) => peer.notify(M.Exit, record)));
      }
      const info = host.info();
      return { transcriptBytes: info.transcriptBytes, cols: info.cols, rows: info.rows, exit: host.exit ?? null };
    });
    peer.handle(M.Shutdown, async () => {
      if (host.alive) {
        host.kill('SIGKILL');
        await withTimeout(host.exited(), this.options.shutdownKillWaitMs ?? 3000);
      }
      setImmediate(() => this.options.onShutdownRequested());
      return { ok: true as const };
    });
  }
}

/** Removes a socket file nobody listens on; refuses to steal one a live host serves. */
async function removeStaleSocket(socketPath: string): Promise<void> {
  const live = await new Promise<boolean>((resolve) => {
    const probe = createConnection(socketPath);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
  if (live) throw new Error(`another host is already serving ${socketPath}`);
  try {
    unlinkSync(socketPath);
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      () => {
        clearTimeout(timer);
        resolve(undefined);
      },
    );
  });
}
