/** What a handler knows about the connection its request came on. */
import type { Notification } from '@oj/protocol';

export interface ConnectionContext {
  readonly id: number;
  /** Sends a notification to this connection (dropped once it has closed). */
  notify<P>(n: Notification<string, P>, payload: P): void;
  /** Runs cb when the connection closes (at once if it already has). */
  onClose(cb: () => void): void;
  readonly closed: boolean;
  /**
   * Resolves once the client has read enough of what was sent for more to go
   * (at once when little is waiting, also when the connection closes): a
   * long stream of notifications awaits it between pieces.
   */
  writable(): Promise<void>;
  /** Whether writable() would wait now (the client has much unread). */
  readonly blocked: boolean;
}
