/**
 * oj session attach: a live terminal through the daemon. Keys go to the
 * agent as they are typed (raw mode); the window size follows ours; Ctrl-]
 * detaches and leaves the agent running. Several people may attach at once.
 */
import { SessionMethods } from '@oj/protocol/client';
import type { RpcConnection } from '../client/rpc-connection.js';

export const DETACH_KEY = 0x1d; // Ctrl-]

export async function attachSession(conn: RpcConnection, id: string): Promise<number> {
  const { stdin, stdout } = process;
  let ended: number | null = null;
  conn.on(SessionMethods.Output, ({ data }) => stdout.write(data));
  let finish: (code: number) => void = () => {};
  const done = new Promise<number>((r) => (finish = r));
  conn.on(SessionMethods.Ended, ({ exitCode }) => {
    ended = exitCode ?? 1;
    finish(0);
  });
  const r = await conn.call(SessionMethods.Attach, { id });
  stdout.write('\x1b[2J\x1b[H' + r.screen.replace(/\n/g, '\r\n'));
  process.stderr.write(`\r\n[attached to ${id}; Ctrl-] detaches]\r\n`);
  const resize = () => {
    if (stdout.columns && stdout.rows) void conn.call(SessionMethods.Resize, { id, cols: stdout.columns, rows: stdout.rows }).catch(() => undefined);
  };
  if (stdout.isTTY) {
    resize();
    stdout.on('resize', resize);
  }
  if (stdin.isTTY) stdin.setRawMode(true);
  stdin.resume();
  const onKey = (chunk: Buffer) => {
    const i = chunk.indexOf(DETACH_KEY);
    const data = i >= 0 ? chunk.subarray(0, i) : chunk;
    if (data.length) void conn.call(SessionMethods.Send, { id, text: data.toString('utf8'), raw: true }).catch(() => undefined);
    if (i >= 0) finish(0);
  };
  stdin.on('data', onKey);
  conn.onClose(() => finish(1));
  const code = await done;
  stdin.off('data', onKey);
  if (stdin.isTTY) stdin.setRawMode(false);
  stdin.pause();
  stdout.off('resize', resize);
  process.stderr.write(ended !== null ? `\r\n[session ended: exit ${ended}]\r\n` : `\r\n[detached from ${id}; it keeps running]\r\n`);
  return code;
}
