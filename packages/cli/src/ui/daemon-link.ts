/**
 * The dashboard's link to ojd: one connection for its calls (the same RPC
 * methods `oj` calls, nothing else), registered as the dashboard on each
 * connect; and a connection of their own for each live stream (a follow, an
 * attach), closed with it. When ojd goes away (a restart, a crash) the link
 * keeps trying; pages show the daemon as down meanwhile and catch up when it
 * is back. After `orphanMs` without a daemon the dashboard gives up.
 */
import { ErrorCode, OjError, type AnyMethod, type CallArgs, type ResultOf } from '@oj/protocol/client';
import { tryConnect, type DaemonLocation } from '../client/daemon-launcher.js';
import type { RpcConnection } from '../client/rpc-connection.js';

export interface LinkOptions {
  location: DaemonLocation;
  /** Runs on every new connection before it is used (the registration); a throw ends the dashboard. */
  onConnect(conn: RpcConnection): Promise<void>;
  /** The dashboard must stop: the daemon stayed away too long, or refused it. */
  onGone(reason: string): void;
  orphanMs: number;
  log(message: string): void;
}

/** Asked while the daemon does not answer (a page shows 503 and retries). */
export class DaemonDown extends OjError {
  constructor() {
    super(ErrorCode.Unavailable, 'the daemon is not answering (restarting?); this page retries', { kind: 'unavailable' });
  }
}

const RETRY_MS = [100, 250, 500, 1000];

export class DaemonLink {
  private conn: RpcConnection | null = null;
  private readonly listeners = new Set<(up: boolean) => void>();
  private stopped = false;
  private downSince = Date.now();
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly o: LinkOptions) {}

  /** Connects the first time (the daemon answers: `oj ui` just talked to it); rejects when it cannot. */
  async start(): Promise<void> {
    const conn = await tryConnect(this.o.location);
    if (!conn) throw new OjError(ErrorCode.Unavailable, `ojd does not answer on ${this.o.location.socket}`, { kind: 'unavailable' });
    await this.adopt(conn);
  }

  get up(): boolean {
    return this.conn !== null;
  }

  call<M extends AnyMethod>(method: M, ...args: CallArgs<M>): Promise<ResultOf<M>> {
    if (!this.conn) return Promise.reject(new DaemonDown());
    return this.conn.call(method, ...args);
  }

  /** A connection of its own for one stream (the caller closes it); null while the daemon does not answer. */
  async open(): Promise<RpcConnection | null> {
    if (!this.conn) return null;
    try {
      return await tryConnect(this.o.location);
    } catch {
      return null;
    }
  }

  /** Hears the daemon go down (false) and come back (true). */
  onChange(cb: (up: boolean) => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  /** Resolves once the daemon answers (at once if it does), or when `signal` aborts. */
  whenUp(signal: AbortSignal): Promise<void> {
    if (this.conn || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        off();
        signal.removeEventListener('abort', done);
        resolve();
      };
      const off = this.onChange((up) => up && done());
      signal.addEventListener('abort', done);
    });
  }

  close(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.conn?.close();
    this.conn = null;
  }

  private async adopt(conn: RpcConnection): Promise<void> {
    await this.o.onConnect(conn);
    if (this.stopped) {
      conn.close();
      return;
    }
    this.conn = conn;
    conn.onClose(() => {
      if (this.conn !== conn) return;
      this.conn = null;
      this.downSince = Date.now();
      if (this.stopped) return;
      this.o.log('lost the daemon; reconnecting');
      for (const l of this.listeners) l(false);
      this.retry(0);
    });
    for (const l of this.listeners) l(true);
  }

  private retry(attempt: number): void {
    if (this.stopped) return;
    if (Date.now() - this.downSince > this.o.orphanMs) {
      this.o.onGone(`no daemon for ${Math.round(this.o.orphanMs / 1000)}s`);
      return;
    }
    this.timer = setTimeout(() => {
      void (async () => {
        let conn: RpcConnection | null = null;
        try {
          conn = await tryConnect(this.o.location);
        } catch {
          conn = null;
        }
        if (!conn) return this.retry(attempt + 1);
        try {
          await this.adopt(conn);
          this.o.log('the daemon is back');
        } catch (err) {
          conn.close();
          // A daemon that answers but refuses us (another dashboard, another version) is final.
          if (err instanceof OjError && err.code !== ErrorCode.Unavailable) this.o.onGone(err.message);
          else this.retry(attempt + 1);
        }
      })();
    }, RETRY_MS[Math.min(attempt, RETRY_MS.length - 1)]);
  }
}
