/**
 * oj session attach: a live terminal through the daemon. Keys go to the
 * agent as they are typed (raw mode), Ctrl-C included; the window size
 * follows ours; Ctrl-] detaches and leaves the agent running. Several people
 * may attach at once. `--read-only` only watches: no key reaches the agent,
 * the agent's window size stays, and Ctrl-C detaches too.
 */
import { SessionMethods } from '@oj/protocol/client';
import type { RpcConnection } from '../client/rpc-connection.js';
import { UsageError } from '../output/print.js';

export const DETACH_KEY = 0x1d; // Ctrl-]
const CTRL_C = 0x03;

/** Attaching types into the agent, so it needs a terminal to read keys from (a read-only watcher does not). */
export function checkAttachTerminal(id: string, readOnly: boolean, stdinIsTTY: boolean): void {
  if (readOnly || stdinIsTTY) return;
  throw new UsageError(
    `oj session attach needs a terminal: its keys go to the agent, and stdin is not a terminal. ` +
      `To watch without one: oj session attach ${id} --read-only (or oj session capture ${id}); to type: oj session send ${id} TEXT`,
  );
}

/** The line shown on attach: how to leave, and where the other keys go. */
export function attachBanner(id: string, readOnly: boolean): string {
  return readOnly
    ? `[watching ${id}, read-only: Ctrl-] or Ctrl-C detaches; keys are not sent to the agent]`
    : `[attached to ${id}: Ctrl-] detaches; every other key, Ctrl-C included, goes to the agent]`;
}

export async function attachSession(conn: RpcConnection, given: string, opts: { readOnly?: boolean } = {}): Promise<number> {
  const readOnly = opts.readOnly === true;
  const { stdin, stdout } = process;
  let ended: number | null = null;
  conn.onNotification(SessionMethods.Output, ({ data }) => stdout.write(data));
  let finish: (code: number) => void = () => {};
  const done = new Promise<number>((r) => (finish = r));
  conn.onNotification(SessionMethods.Ended, ({ exitCode }) => {
    ended = exitCode ?? 1;
    finish(0);
  });
  const r = await conn.call(SessionMethods.Attach, { id: given });
  // The full id from here on: a prefix could come to name another session while we are attached.
  const id = r.session;
  // The screen as it is, then the cursor where the agent has it (its next output goes there).
  stdout.write('\x1b[2J\x1b[H' + r.screen.replace(/\n/g, '\r\n') + (r.cursor ? `\x1b[${r.cursor.y + 1};${r.cursor.x + 1}H` : ''));
  process.stderr.write(`\r\n${attachBanner(id, readOnly)}\r\n`);
  const resize = () => {
    if (stdout.columns && stdout.rows) void conn.call(SessionMethods.Resize, { id, cols: stdout.columns, rows: stdout.rows }).catch(() => undefined);
  };
  const followSize = stdout.isTTY && !readOnly;
  if (followSize) {
    resize();
    stdout.on('resize', resize);
  }
  // A read-only watcher without a terminal (output to a file, say) ends on Ctrl-C as usual.
  const readsKeys = stdin.isTTY === true;
  const onSigint = () => finish(130);
  if (!readsKeys) process.once('SIGINT', onSigint);
  const onKey = (chunk: Buffer) => {
    const stop = readOnly ? chunk.findIndex((b) => b === DETACH_KEY || b === CTRL_C) : chunk.indexOf(DETACH_KEY);
    if (!readOnly) {
      const data = stop >= 0 ? chunk.subarray(0, stop) : chunk;
      if (data.length) void conn.call(SessionMethods.Send, { id, text: data.toString('utf8'), raw: true }).catch(() => undefined);
    }
    if (stop >= 0) finish(0);
  };
  if (readsKeys) {
    stdin.setRawMode(true);
    stdin.resume();
    stdin.on('data', onKey);
  }
  conn.onClose(() => finish(1));
  const code = await done;
  if (readsKeys) {
    stdin.off('data', onKey);
    stdin.setRawMode(false);
    stdin.pause();
  } else process.off('SIGINT', onSigint);
  if (followSize) stdout.off('resize', resize);
  process.stderr.write(ended !== null ? `\r\n[session ended: exit ${ended}]\r\n` : `\r\n[detached from ${id}; it keeps running]\r\n`);
  return code;
}
