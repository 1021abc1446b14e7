/** What a handler knows about the connection its request came on. */
import type { Notification } from '@oj/protocol';

export interface ConnectionContext {
  readonly id: number;
  /** Sends a notification to this connection (dropped once it has closed). */
  notify<P>(n: Notification<string, P>, payload: P): void;
  /** Runs cb when the connection closes (at once if it already has). */
  onClose(cb: () => void): void;
  readonly closed: boolean;
}
