/**
 * The protocol between ojd and a per-session host process (one detached host
 * per agent pty). The host listens on `host.sock` in its session directory and
 * speaks NDJSON JSON-RPC 2.0; ojd (and any number of viewers) connect to it.
 *
 * The session directory is part of the contract too: ojd writes `spec.json`
 * (SessionSpec below, checked by sessionSpecSchema) before it spawns the
 * host; the host writes `host.pid`, `transcript.log`, `exit.json`
 * (ExitRecord) and, on a fatal start error, `host.err`.
 */
import { z } from 'zod';
import { method, notification } from '../rpc.js';
import { once } from '../once.js';

/** Session ids name a directory: letters, digits, `_ . -`, not starting with a dot. */
export const sessionId = once(() =>
  z
    .string()
    .min(1)
    .max(100)
    .regex(/^[A-Za-z0-9_-][A-Za-z0-9_.-]*$/, 'session ids use letters, digits, _ . - and do not start with a dot'),
);

export const signalName = once(() => z.enum(['SIGTERM', 'SIGKILL', 'SIGINT', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2']));
export type SignalName = z.infer<ReturnType<typeof signalName>>;

const cols = once(() => z.number().int().min(2).max(1000));
const rows = once(() => z.number().int().min(2).max(1000));

/** `spec.json`: what the host runs. Written by ojd, read once by the host at start. */
export const sessionSpecSchema = once(() =>
  z
    .object({
      id: sessionId(),
      /** argv; the first element is looked up on env.PATH when it has no slash. */
      command: z.array(z.string()).min(1),
      cwd: z.string().min(1),
      /** The complete environment of the command (nothing is inherited from the host). */
      env: z.record(z.string(), z.string()),
      cols: cols().default(120),
      rows: rows().default(40),
      /** Lines of scrollback kept for `capture`. */
      scrollback: z.number().int().min(0).max(100_000).default(5000),
      /** How long the host keeps serving after the command exited (unless told to shut down). */
      lingerMs: z
        .number()
        .int()
        .min(0)
        .max(7 * 24 * 3_600_000)
        .default(10 * 60_000),
    })
    .strict(),
);
export type SessionSpec = z.output<ReturnType<typeof sessionSpecSchema>>;
export type SessionSpecInput = z.input<ReturnType<typeof sessionSpecSchema>>;

/** `exit.json` and the `host.exit` notification: how the command ended. */
export interface ExitRecord {
  /** Exit status, or null when a signal ended it. */
  exitCode: number | null;
  /** Signal name (e.g. "SIGTERM"), or null for a normal exit. */
  signal: string | null;
  /** ISO 8601 time the host saw the exit. */
  at: string;
}

export interface HostInfo {
  id: string;
  hostPid: number;
  childPid: number;
  alive: boolean;
  exitCode: number | null;
  signal: string | null;
  /** ISO 8601 times, as the host's clock saw them. */
  startedAt: string;
  lastOutputAt: string | null;
  exitedAt: string | null;
  cols: number;
  rows: number;
  /** Bytes written to transcript.log so far. */
  transcriptBytes: number;
}

export interface SubscribeResult {
  /** transcript.log holds exactly the output before the first `host.output` sent to this subscriber. */
  transcriptBytes: number;
  cols: number;
  rows: number;
  /** Set when the command has already exited; no `host.exit` follows then. */
  exit: ExitRecord | null;
}

export const Info = method<HostInfo>()(
  'host.info',
  () => z.object({}).strict().optional(),
  'Pids, liveness, exit status, times and size of the session.',
);

export const Write = method<{ bytes: number }>()(
  'host.write',
  () => z.object({ data: z.string().max(1024 * 1024) }).strict(),
  'Type into the pty (raw: "\\r" is Enter, "\\x03" is Ctrl-C).',
);

export const Resize = method<{ cols: number; rows: number }>()(
  'host.resize',
  () => z.object({ cols: cols(), rows: rows() }).strict(),
  'Resize the pty and the screen model.',
);

export const Capture = method<{ text: string; /** Where the cursor is on the visible screen (0-based). */ cursor?: { x: number; y: number } }>()(
  'host.capture',
  () =>
    z
      .object({ lines: z.number().int().min(1).max(100_000).optional() })
      .strict()
      .optional(),
  'What the terminal shows: the visible screen, or with `lines` the last N lines of scrollback + screen; trailing blank lines trimmed.',
);

export const Kill = method<{ delivered: boolean }>()(
  'host.kill',
  () =>
    z
      .object({ signal: signalName().optional() })
      .strict()
      .optional(),
  "Signal the command's process group (default SIGTERM); false when it had already exited.",
);

export const Subscribe = method<SubscribeResult>()(
  'host.subscribe',
  () => z.object({}).strict().optional(),
  'Stream `host.output` and `host.exit` notifications on this connection.',
);

export const Shutdown = method<{ ok: true }>()(
  'host.shutdown',
  () => z.object({}).strict().optional(),
  'End the session now: kill the command if it still runs, then the host exits and removes its socket.',
);

export const Output = notification<{ data: string }>()('host.output', 'Text the pty printed (UTF-8).');

export const Exit = notification<ExitRecord>()('host.exit', 'The command exited; exit.json is already written.');
