/**
 * The web dashboard (`oj ui`): a small HTTP server beside ojd, a client of
 * these methods like `oj` itself. It announces itself on each connection to
 * ojd (`ui.register`), so that `oj daemon status` shows it and `oj ui` reuses
 * it; the registration lasts as long as that connection.
 */
import { z } from 'zod';
import { method, notification } from '../rpc.js';

export interface UiInfo {
  /** Where it listens, without its token: `http://127.0.0.1:PORT/`. */
  url: string;
  port: number;
  /** The dashboard server's process. */
  pid: number;
  /** When it registered with this daemon (ISO): after a daemon restart, when it came back. */
  since: string;
}

export const Register = method<{ ui: UiInfo }>()(
  'ui.register',
  () =>
    z
      .object({
        port: z.number().int().min(1).max(65_535),
        pid: z.number().int().min(1),
        /** The dashboard's per-start token (the socket is its owner's only: `ui.status` gives it back to `oj ui`). */
        token: z.string().regex(/^[A-Za-z0-9_-]{16,200}$/, 'a token is 16 to 200 characters of A-Z a-z 0-9 _ -'),
      })
      .strict(),
  'Called by the dashboard server on each connection: it runs, on `port`. Lasts while this connection is open. Fails with AlreadyExists while another dashboard is registered.',
);

export const Status = method<{ ui: UiInfo | null; link: string | null }>()(
  'ui.status',
  () => z.object({}).strict().optional(),
  'The dashboard, if one runs: where (`ui`) and the address to open (`link`, with its token).',
);

export const Stop = method<{ ui: UiInfo | null }>()(
  'ui.stop',
  () => z.object({}).strict().optional(),
  'Ask the dashboard server to stop (a `ui.shutdown` notification on its connection); `ui` is the one asked, null when none runs.',
);

export const Shutdown = notification<{ reason: string }>()('ui.shutdown', 'Sent to the dashboard server on its registered connection: stop now.');
