/**
 * The dashboard server (`oj ui`) that announced itself on one of the
 * daemon's connections: at most one at a time, held only while that
 * connection is open (a dashboard that died or lost the daemon is gone from
 * here at once, and registers again when it reconnects).
 */
import { ErrorCode, OjError, type UiInfo } from '@oj/protocol';

export interface UiRegistration {
  /** The connection it registered on. */
  connection: number;
  info: UiInfo;
  token: string;
  /** Tells it to stop (a notification on its connection). */
  shutdown(reason: string): void;
}

export class UiRegistry {
  private current: UiRegistration | null = null;

  constructor(private readonly now: () => number) {}

  register(connection: number, p: { port: number; pid: number; token: string }, shutdown: (reason: string) => void): UiInfo {
    const held = this.current;
    if (held && held.connection !== connection) {
      throw new OjError(ErrorCode.AlreadyExists, `a dashboard already runs: ${held.info.url} (pid ${held.info.pid})`, {
        kind: 'already_exists',
        ui: held.info,
        hint: 'oj ui --stop stops it',
      });
    }
    const info: UiInfo = { url: `http://127.0.0.1:${p.port}/`, port: p.port, pid: p.pid, since: new Date(this.now()).toISOString() };
    this.current = { connection, info, token: p.token, shutdown };
    return info;
  }

  /** Its connection closed: it is gone (unless another took its place since). */
  closed(connection: number): void {
    if (this.current?.connection === connection) this.current = null;
  }

  info(): UiInfo | null {
    return this.current?.info ?? null;
  }

  /** The address to open: with the token, which logs the browser in. */
  link(): string | null {
    const c = this.current;
    return c ? `${c.info.url}?token=${c.token}` : null;
  }

  /** Asks it to stop; it unregisters when its connection closes. */
  stop(reason: string): UiInfo | null {
    const c = this.current;
    c?.shutdown(reason);
    return c?.info ?? null;
  }
}
